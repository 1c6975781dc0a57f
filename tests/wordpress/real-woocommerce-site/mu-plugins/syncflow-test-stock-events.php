<?php
/**
 * Plugin Name: SyncFlow TEST ONLY - stock event helpers
 * Description: Test-only ways to change stock the way WooCommerce's other actors do (a wp-admin product save, a CSV
 * import, an order line edited in wp-admin) and to look at SyncFlow's stock events outbox, for
 * tests/wordpress/stock-events.wordpress.test.ts. Mounted only by the real WooCommerce harness. Never ship.
 *
 * @package SyncFlow_Tests
 */

defined( 'ABSPATH' ) || exit;

// wp-admin: a product saved from its edit screen (WC_Meta_Box_Product_Data::save sets the quantity, then saves the
// product through the CRUD). admin-post.php runs with is_admin() true and the logged-in user.
add_action(
	'admin_post_syncflow_test_edit_stock',
	static function () {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( 'forbidden', 403 );
		}
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- test only
		$product = wc_get_product( wc_get_product_id_by_sku( isset( $_POST['sku'] ) ? sanitize_text_field( wp_unslash( $_POST['sku'] ) ) : '' ) );
		$qty     = isset( $_POST['quantity'] ) ? (int) $_POST['quantity'] : 0;
		// phpcs:enable
		if ( ! $product ) {
			wp_die( 'unknown sku', 404 );
		}
		$product->set_stock_quantity( $qty );
		$product->save();
		wp_send_json( array( 'ok' => true ) );
	}
);

/**
 * Registers the test routes below under syncflow-test/v1, unauthenticated (test only).
 *
 * @param array<string,array{0:string,1:callable}> $routes Path => [method, callback].
 */
function syncflow_test_stock_event_routes( array $routes ) {
	foreach ( $routes as $path => list( $methods, $callback ) ) {
		register_rest_route( 'syncflow-test/v1', $path, array( 'methods' => $methods, 'permission_callback' => '__return_true', 'callback' => $callback ) );
	}
}

add_action(
	'rest_api_init',
	static function () {
		$routes = array();
		// WooCommerce's product CSV importer updating one SKU's stock.
		$routes['/stock-events/import'] = array(
			'POST',
			static function ( WP_REST_Request $r ) {
				$b = $r->get_json_params();
				require_once ABSPATH . 'wp-admin/includes/file.php';
				require_once WC_ABSPATH . 'includes/import/class-wc-product-csv-importer.php';
				$file = trailingslashit( get_temp_dir() ) . 'syncflow-import-' . wp_generate_password( 8, false ) . '.csv';
				file_put_contents( $file, "SKU,Stock\n" . $b['sku'] . ',' . (int) $b['quantity'] . "\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions
				$importer = new WC_Product_CSV_Importer(
					$file,
					array(
						'mapping'         => array(
							'SKU'   => 'sku',
							'Stock' => 'stock_quantity',
						),
						'update_existing' => true,
						'parse'           => true,
					)
				);
				$result = $importer->import();
				wp_delete_file( $file );
				return array(
					'updated' => count( $result['updated'] ),
					'failed'  => array_map(
						static function ( $e ) {
							return $e->get_error_message();
						},
						$result['failed']
					),
				);
			}
		);
		// An order line's quantity edited in wp-admin (wc_save_order_items → wc_maybe_adjust_line_item_product_stock).
		$routes['/stock-events/order-line'] = array(
			'POST',
			static function ( WP_REST_Request $r ) {
				$b     = $r->get_json_params();
				$order = wc_get_order( (int) $b['order_id'] );
				if ( ! $order ) {
					return new WP_Error( 'syncflow_test', 'unknown order', array( 'status' => 404 ) );
				}
				require_once WC_ABSPATH . 'includes/admin/wc-admin-functions.php';
				foreach ( $order->get_items() as $item ) {
					$item->set_quantity( (int) $b['quantity'] );
					$item->save();
					$change = wc_maybe_adjust_line_item_product_stock( $item );
					return array( 'change' => $change );
				}
				return new WP_Error( 'syncflow_test', 'no line', array( 'status' => 400 ) );
			}
		);
		// A request key claimed by a request still in flight (its row has no answer yet): the next write with that
		// key collides with it on the primary key.
		$routes['/stock-events/claim'] = array(
			'POST',
			static function ( WP_REST_Request $r ) {
				global $wpdb;
				$b = $r->get_json_params();
				$wpdb->insert( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery
					$wpdb->prefix . 'syncflow_idempotency',
					array(
						'key_hash'    => hash( 'sha256', (string) $b['request_key'] ),
						'request_key' => (string) $b['request_key'],
						'fingerprint' => str_repeat( '0', 64 ),
						'response'    => null,
						'created_gmt' => gmdate( 'Y-m-d H:i:s' ),
					)
				);
				return array( 'ok' => true );
			}
		);
		// The outbox (oldest first) and SyncFlow's stock event state.
		$routes['/stock-events/outbox'] = array(
			'GET',
			static function () {
				global $wpdb;
				$t    = $wpdb->prefix . 'syncflow_stock_events';
				$has  = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) ) === $t;
				$rows = $has ? $wpdb->get_results( "SELECT id, event_id, payload, attempts FROM {$t} ORDER BY id ASC", ARRAY_A ) : array(); // phpcs:ignore
				return array(
					'table_exists' => $has,
					'state'        => get_option( 'syncflow_stock_events', null ),
					'events'       => array_map(
						static function ( $row ) {
							return array_merge(
								json_decode( $row['payload'], true ),
								array(
									'seq'      => (int) $row['id'],
									'attempts' => (int) $row['attempts'],
								)
							);
						},
						$rows
					),
				);
			}
		);
		syncflow_test_stock_event_routes( $routes );
	}
);
