<?php
/**
 * SyncFlow TEST ONLY — builds the template site of the real-WooCommerce harness from the PHP CLI, in steps that
 * each run in a fresh PHP process (`php install.php <step>`, environment as in ./wp-config.php):
 *   wordpress    wp_install() (WP_INSTALLING), pretty permalinks
 *   woocommerce  activate WooCommerce (WC_Install::install()), store settings of a launched US shop that manages stock
 *   newly        WooCommerce's "newly installed" routine that the first wp-admin visit runs (HPOS on, ...)
 *   actions      run the Action Scheduler actions the install left due within 2 minutes (Action Scheduler's own
 *                data-store migration is one), so test sites start quiet
 * Prints one JSON line per step.
 *
 * @package SyncFlow_Tests
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}
$syncflow_step = isset( $argv[1] ) ? $argv[1] : '';
$syncflow_url  = parse_url( (string) getenv( 'SYNCFLOW_WP_URL' ) );
$_SERVER['HTTP_HOST']   = $syncflow_url['host'] . ( isset( $syncflow_url['port'] ) ? ':' . $syncflow_url['port'] : '' );
$_SERVER['SERVER_NAME'] = $syncflow_url['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PORT'] = isset( $syncflow_url['port'] ) ? $syncflow_url['port'] : 80;
$_SERVER['REQUEST_METHOD'] = 'GET';

if ( 'wordpress' === $syncflow_step ) {
	define( 'WP_INSTALLING', true );
}
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$syncflow_out = array( 'step' => $syncflow_step );
switch ( $syncflow_step ) {
	case 'wordpress':
		$r = wp_install( 'SyncFlow Test Store', 'admin', 'admin@example.test', false, '', 'password' );
		update_option( 'permalink_structure', '/%postname%/' );
		update_option( 'timezone_string', 'UTC' );
		$syncflow_out['user_id'] = $r['user_id'];
		break;

	case 'woocommerce':
		$res = activate_plugin( 'woocommerce/woocommerce.php' );
		if ( is_wp_error( $res ) ) {
			fwrite( STDERR, $res->get_error_message() . "\n" );
			exit( 1 );
		}
		// A launched shop in the United States that sells in USD and manages stock (WooCommerce's own defaults
		// except where a store owner's onboarding would change them).
		update_option( 'woocommerce_manage_stock', 'yes' );
		update_option( 'woocommerce_default_country', 'US:CA' );
		update_option( 'woocommerce_currency', 'USD' );
		update_option( 'woocommerce_coming_soon', 'no' );
		update_option( 'woocommerce_onboarding_profile', array( 'skipped' => true ) );
		update_option( 'woocommerce_task_list_hidden', 'yes' );
		update_option( 'woocommerce_show_marketplace_suggestions', 'no' );
		update_option( 'woocommerce_allow_tracking', 'no' );
		update_option( 'woocommerce_analytics_scheduled_import', 'no' );
		$syncflow_out['wc_version'] = get_option( 'woocommerce_version' );
		break;

	case 'newly':
		WC_Install::newly_installed();
		update_option( 'woocommerce_coming_soon', 'no' );
		// The first wp-admin visit within 30 s of activation would be redirected to the setup wizard: that visit
		// happened (the owner set the shop up above), so no test site built from this template starts with it.
		delete_transient( '_wc_activation_redirect' );
		flush_rewrite_rules( false );
		$syncflow_out['hpos'] = get_option( 'woocommerce_custom_orders_table_enabled' );
		break;

	case 'actions':
		$ran = 0;
		for ( $round = 0; $round < 10; $round++ ) {
			$ids = ActionScheduler::store()->query_actions(
				array(
					'status'       => ActionScheduler_Store::STATUS_PENDING,
					'date'         => as_get_datetime_object( '+2 minutes' ),
					'date_compare' => '<=',
					'per_page'     => 100,
					'orderby'      => 'date',
					'order'        => 'ASC',
				)
			);
			if ( ! $ids ) {
				break;
			}
			foreach ( $ids as $id ) {
				ActionScheduler::runner()->process_action( $id, 'SyncFlow test install' );
				++$ran;
			}
		}
		$syncflow_out['ran'] = $ran;
		break;

	default:
		fwrite( STDERR, "unknown step {$syncflow_step}\n" );
		exit( 1 );
}
echo wp_json_encode( $syncflow_out ) . "\n";
