<?php
/**
 * Bootstrap: activation, deactivation, hooks. Nothing runs without WooCommerce.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Plugin bootstrap.
 */
class SyncFlow_Plugin {

	/**
	 * Whether WooCommerce is loaded.
	 *
	 * @return bool
	 */
	public static function woocommerce_active() {
		return class_exists( 'WooCommerce' ) && function_exists( 'wc_get_product' );
	}

	/**
	 * plugins_loaded: wire everything, or only an admin notice when WooCommerce is inactive.
	 */
	public static function boot() {
		add_action( 'init', array( __CLASS__, 'load_textdomain' ) );
		if ( ! self::woocommerce_active() ) {
			add_action( 'admin_notices', array( __CLASS__, 'notice_woocommerce_missing' ) );
			return;
		}
		if ( get_option( SyncFlow_Options::DB_VERSION ) !== SyncFlow_Stock::DB_VERSION ) {
			SyncFlow_Stock::install_table();
		}
		add_action( 'rest_api_init', array( 'SyncFlow_REST_Controller', 'register_routes' ) );
		add_action( 'woocommerce_webhook_delivery', array( 'SyncFlow_Webhooks', 'on_delivery' ), 10, 5 );
		SyncFlow_Stock_Events::init();
		SyncFlow_Scheduler::init();
		if ( is_admin() ) {
			SyncFlow_Admin::init();
		}
	}

	/**
	 * Translations are loaded at init (WordPress 6.7+ warns when loaded earlier).
	 */
	public static function load_textdomain() {
		load_plugin_textdomain( 'syncflow-for-woocommerce', false, dirname( plugin_basename( SYNCFLOW_PLUGIN_FILE ) ) . '/languages' );
	}

	/**
	 * Admin notice shown instead of any behaviour when WooCommerce is not active.
	 */
	public static function notice_woocommerce_missing() {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		echo '<div class="notice notice-error" id="syncflow-woocommerce-missing"><p>';
		echo esc_html__( 'SyncFlow for WooCommerce needs WooCommerce to be installed and active. It does nothing until then.', 'syncflow-for-woocommerce' );
		echo '</p></div>';
	}

	/**
	 * Activation: create the idempotency table and schedule the purge (when WooCommerce is there).
	 */
	public static function activate() {
		if ( ! self::woocommerce_active() ) {
			return;
		}
		SyncFlow_Stock::install_table();
		SyncFlow_Scheduler::schedule();
	}

	/**
	 * Deactivation: stop background work; the connection and data stay until uninstall. A store reporting stock
	 * events tells the hub it stops (a heartbeat without the `stock-events` feature), so the hub follows the order
	 * webhooks again while the plugin is off; reactivation's next heartbeat turns events back on.
	 */
	public static function deactivate() {
		SyncFlow_Scheduler::unschedule_all();
		if ( SyncFlow_Options::is_connected() && self::woocommerce_active() ) {
			SyncFlow_Hub_Client::signed(
				'/api/woo/heartbeat',
				array(
					'store_url'      => home_url(),
					'plugin_version' => SYNCFLOW_VERSION,
					'webhooks'       => array(),
					'recreated'      => array(),
					'features'       => array(),
				)
			);
			SyncFlow_Stock_Events::hub_said( false );
		}
	}
}
