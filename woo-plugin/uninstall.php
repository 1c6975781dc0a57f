<?php
/**
 * Uninstall: removes everything SyncFlow created — options, its WooCommerce webhooks, its REST API key,
 * its scheduled actions and its idempotency table. The hub is told the store is gone when possible.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-syncflow-options.php';
require_once __DIR__ . '/includes/class-syncflow-event-log.php';
require_once __DIR__ . '/includes/class-syncflow-hub-client.php';
require_once __DIR__ . '/includes/class-syncflow-api-keys.php';
require_once __DIR__ . '/includes/class-syncflow-stock.php';
require_once __DIR__ . '/includes/class-syncflow-stock-events.php';
require_once __DIR__ . '/includes/class-syncflow-webhooks.php';
require_once __DIR__ . '/includes/class-syncflow-scheduler.php';

if ( ! defined( 'SYNCFLOW_VERSION' ) ) {
	define( 'SYNCFLOW_VERSION', '1.1.0' );
}

/**
 * Runs the cleanup (a function keeps variables out of the global scope).
 */
function syncflow_uninstall() {
	global $wpdb;
	$connection = SyncFlow_Options::connection();

	// Best effort: tell the hub (signed, short timeout inside the client).
	if ( SyncFlow_Options::is_connected() ) {
		SyncFlow_Hub_Client::signed(
			'/api/woo/disconnect',
			array(
				'store_url' => home_url(),
				'reason'    => 'uninstalled',
			)
		);
	}

	// SyncFlow's webhooks.
	if ( '' !== $connection['hub_url'] ) {
		if ( function_exists( 'wc_get_webhook' ) && class_exists( 'WC_Data_Store' ) ) {
			SyncFlow_Webhooks::delete_all( $connection['hub_url'] );
		} else {
			$table = $wpdb->prefix . 'wc_webhooks';
			if ( $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $table ) ) === $table ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE delivery_url LIKE %s", $wpdb->esc_like( $connection['hub_url'] . '/webhooks/woocommerce/' ) . '%' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			}
		}
	}

	// SyncFlow's REST API key.
	SyncFlow_Api_Keys::revoke( (int) $connection['key_id'] );

	// Scheduled actions (group "syncflow").
	SyncFlow_Scheduler::unschedule_all();

	// Idempotency table and the stock events outbox.
	foreach ( array( SyncFlow_Stock::table(), SyncFlow_Stock_Events::table() ) as $table ) {
		$wpdb->query( "DROP TABLE IF EXISTS {$table}" ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.DirectDatabaseQuery.SchemaChange,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}
	delete_option( SyncFlow_Stock_Events::OPTION );

	// Options and per-user notices.
	foreach ( SyncFlow_Options::all() as $option ) {
		delete_option( $option );
	}
	$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s", $wpdb->esc_like( '_transient_syncflow_' ) . '%', $wpdb->esc_like( '_transient_timeout_syncflow_' ) . '%' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
	wp_cache_flush();
}

syncflow_uninstall();
