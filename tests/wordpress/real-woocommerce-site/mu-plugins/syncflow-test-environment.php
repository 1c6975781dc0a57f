<?php
/**
 * Plugin Name: SyncFlow TEST ONLY - test host environment
 * Description: What a real WooCommerce needs to run on a loopback test host (php -S, SQLite, no mail, no internet),
 * and nothing else: deliveries to 127.0.0.1 on odd ports, no mail, the SQLite LIMIT quirk, Action Scheduler run only
 * by the harness. Loaded by tests/wordpress/real-woocommerce.ts only. Never ship.
 *
 * @package SyncFlow_Tests
 */

// WordPress refuses wp_safe_remote_*() to loopback/private hosts and unusual ports: allow any port on 127.0.0.1
// (the hub, a webhook receiver — tests pick free ports), so plugin → hub calls and WooCommerce's webhook pings and
// deliveries reach them. Other hosts keep WordPress's rules (and WP_HTTP_BLOCK_EXTERNAL blocks them anyway).
add_filter(
	'http_request_host_is_external',
	static function ( $external, $host ) {
		return in_array( $host, array( '127.0.0.1', 'localhost' ), true ) ? true : $external;
	},
	10,
	2
);
add_filter(
	'http_allowed_safe_ports',
	static function ( $ports, $host = '', $url = '' ) {
		$ports = is_array( $ports ) ? $ports : array();
		if ( in_array( $host, array( '127.0.0.1', 'localhost' ), true ) ) {
			$port = (int) wp_parse_url( (string) $url, PHP_URL_PORT );
			if ( $port ) {
				$ports[] = $port;
			}
		}
		return $ports;
	},
	10,
	3
);
add_filter( 'syncflow_allow_insecure_hub_url', '__return_true' );

// No sendmail on the test host: WordPress and WooCommerce mails (new order, low stock) are dropped, not errors.
add_filter( 'pre_wp_mail', '__return_true' );

// The SQLite layer rejects MySQL's "LIMIT 0, 18446744073709551615" (HPOS OrdersTableQuery uses it for "no limit";
// refund lists come back empty otherwise): clamp it to SQLite's largest integer.
add_filter(
	'query',
	static function ( $query ) {
		return is_string( $query ) ? str_replace( '18446744073709551615', '9223372036854775807', $query ) : $query;
	}
);

// Background work runs when the harness runs it (its runner loop or the control API), not on visitors' requests.
add_filter( 'action_scheduler_allow_async_request_runner', '__return_false' );

// No internet on the test host (WP_HTTP_BLOCK_EXTERNAL): no update checks from wp-admin screens (each failed one logs
// a PHP warning), no plugin-directory lookups for "Requires Plugins" (WordPress 6.5 plugin dependencies), no remote
// marketing/feeds in WooCommerce's admin.
foreach ( array( '_maybe_update_core', '_maybe_update_plugins', '_maybe_update_themes' ) as $syncflow_test_check ) {
	remove_action( 'admin_init', $syncflow_test_check );
}
remove_action( 'wp_version_check', 'wp_version_check' );
remove_action( 'wp_update_plugins', 'wp_update_plugins' );
remove_action( 'wp_update_themes', 'wp_update_themes' );
add_action(
	'admin_init',
	static function () {
		foreach ( array( '_maybe_update_core', '_maybe_update_plugins', '_maybe_update_themes' ) as $check ) {
			remove_action( 'admin_init', $check );
		}
		foreach ( array( 'load-plugins.php', 'load-update.php', 'load-update-core.php' ) as $screen ) {
			remove_action( $screen, 'wp_update_plugins' );
		}
		foreach ( array( 'load-themes.php', 'load-update.php', 'load-update-core.php' ) as $screen ) {
			remove_action( $screen, 'wp_update_themes' );
		}
	},
	0
);
add_filter(
	'plugins_api',
	static function ( $result ) {
		return false === $result ? new WP_Error( 'syncflow_test_offline', 'The test host has no internet.' ) : $result;
	}
);
add_filter( 'woocommerce_allow_marketplace_suggestions', '__return_false' );
add_filter( 'woocommerce_admin_features', static function ( $features ) { return array_values( array_diff( (array) $features, array( 'remote-inbox-notifications', 'remote-free-extensions', 'payment-gateway-suggestions', 'marketing' ) ) ); } );

// WooCommerce's low / no stock notifications (the actions its low-stock and no-stock emails hang on), recorded so a test
// can compare which stock changes raise them (control GET /product-state `stock_notices`).
foreach ( array( 'woocommerce_low_stock' => 'low', 'woocommerce_no_stock' => 'no' ) as $syncflow_test_hook => $syncflow_test_kind ) {
	add_action(
		$syncflow_test_hook,
		static function ( $product ) use ( $syncflow_test_kind ) {
			$seen   = get_option( 'syncflow_test_stock_notices', array() );
			$seen[] = array( $syncflow_test_kind, $product instanceof WC_Product ? (int) $product->get_id() : 0 );
			update_option( 'syncflow_test_stock_notices', $seen, false );
		}
	);
}

// bench/woo-plugin-cost.ts measures POST /stock/batch both ways on one site: option syncflow_test_batch_one_by_one = yes
// runs each op in its own transaction (the plugin's `syncflow_stock_batch_transactions` filter, decision 309).
add_filter(
	'syncflow_stock_batch_transactions',
	static function ( $shared ) {
		return 'yes' === get_option( 'syncflow_test_batch_one_by_one' ) ? false : $shared;
	}
);

// A database error on demand (tests/wordpress/stock-batch.wordpress.test.ts): SyncFlow's write of a request key that
// contains "syncflow-test-fail-write" into its idempotency table fails as a lost connection or a full disk would —
// after the op has changed stock when the batch writes the key last (decision 309), so the op must be rolled back.
add_filter(
	'query',
	static function ( $query ) {
		if ( is_string( $query ) && false !== strpos( $query, 'syncflow-test-fail-write' ) && preg_match( '/^\s*INSERT\s+INTO\s+\S*syncflow_idempotency\b/i', $query ) ) {
			return preg_replace( '/syncflow_idempotency\b/', 'syncflow_test_no_such_table', $query, 1 );
		}
		return $query;
	}
);
