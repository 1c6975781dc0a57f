<?php
/**
 * Plugin Name: SyncFlow TEST ONLY - control API
 * Description: Unauthenticated helpers under /wp-json/syncflow-test/v1 for tests/wordpress (create products and
 * keys, run scheduled actions, inspect state, (de)activate / uninstall plugins, log in). Mounted only by the
 * Playground harness. Never ship.
 *
 * @package SyncFlow_Tests
 */

add_action(
	'rest_api_init',
	static function () {
		$route = static function ( $path, $methods, $cb ) {
			register_rest_route(
				'syncflow-test/v1',
				$path,
				array(
					'methods'             => $methods,
					'permission_callback' => '__return_true',
					'callback'            => $cb,
				)
			);
		};
		$json = static function ( WP_REST_Request $r ) {
			$p = $r->get_json_params();
			return is_array( $p ) ? $p : array();
		};

		$route(
			'/ping',
			'GET',
			static function () {
				return array( 'ok' => true );
			}
		);
		$route(
			'/product',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b      = $json( $r );
				$parent = 0;
				if ( ! empty( $b['parent_sku'] ) ) {
					$parent = (int) wc_get_product_id_by_sku( $b['parent_sku'] );
				}
				$id = wp_insert_post(
					array(
						'post_type'   => $parent ? 'product_variation' : 'product',
						'post_status' => 'publish',
						'post_title'  => $b['sku'],
						'post_parent' => $parent,
					)
				);
				update_post_meta( $id, '_sku', $b['sku'] );
				$managed = array_key_exists( 'qty', $b ) && null !== $b['qty'];
				update_post_meta( $id, '_manage_stock', $managed ? 'yes' : 'no' );
				if ( $managed ) {
					update_post_meta( $id, '_stock', (string) (int) $b['qty'] );
				}
				return array( 'id' => $id );
			}
		);
		$route(
			'/stock',
			'GET',
			static function ( WP_REST_Request $r ) {
				$p = wc_get_product( wc_get_product_id_by_sku( (string) $r->get_param( 'sku' ) ) );
				return array( 'stock_quantity' => $p ? $p->get_stock_quantity() : null );
			}
		);
		$route(
			'/stock',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				$p = wc_get_product( wc_get_product_id_by_sku( $b['sku'] ) );
				wc_update_product_stock( $p, (int) $b['quantity'], 'set' );
				return array( 'ok' => true );
			}
		);
		$route(
			'/key',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				global $wpdb;
				$b    = $json( $r );
				$user = get_user_by( 'login', isset( $b['user'] ) ? $b['user'] : 'admin' );
				$ck   = 'ck_' . wc_rand_hash();
				$cs   = 'cs_' . wc_rand_hash();
				$wpdb->insert(
					$wpdb->prefix . 'woocommerce_api_keys',
					array(
						'user_id'         => $user->ID,
						'description'     => 'test',
						'permissions'     => isset( $b['permissions'] ) ? $b['permissions'] : 'read_write',
						'consumer_key'    => wc_api_hash( $ck ),
						'consumer_secret' => $cs,
						'truncated_key'   => substr( $ck, -7 ),
					)
				);
				return array(
					'key_id'          => $wpdb->insert_id,
					'consumer_key'    => $ck,
					'consumer_secret' => $cs,
				);
			}
		);
		$route(
			'/user',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				$u = get_user_by( 'login', $b['login'] );
				$id = $u ? $u->ID : wp_insert_user(
					array(
						'user_login' => $b['login'],
						'user_pass'  => 'password',
						'user_email' => $b['login'] . '@example.test',
						'role'       => $b['role'],
					)
				);
				return array( 'id' => $id );
			}
		);
		$route(
			'/run-actions',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				return array( 'ran' => syncflow_test_double_run_actions( isset( $b['group'] ) ? $b['group'] : 'syncflow', isset( $b['hook'] ) ? $b['hook'] : '' ) );
			}
		);
		$route(
			'/webhook',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				$w = wc_get_webhook( (int) $b['id'] );
				if ( ! empty( $b['delete'] ) ) {
					$w->delete( true );
					return array( 'ok' => true );
				}
				$w->set_status( $b['status'] );
				$w->set_failure_count( 6 );
				$w->save();
				return array( 'ok' => true );
			}
		);
		$route(
			'/webhook-delivery',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				$response = isset( $b['code'] ) ? array( 'response' => array( 'code' => (int) $b['code'], 'message' => '' ), 'headers' => array(), 'body' => '' ) : new WP_Error( 'http_request_failed', 'timeout' );
				do_action( 'woocommerce_webhook_delivery', array(), $response, 0.1, 42, (int) $b['id'] );
				return array( 'ok' => true );
			}
		);
		$route(
			'/idempotency-age',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				global $wpdb;
				$b = $json( $r );
				$t = $wpdb->prefix . 'syncflow_idempotency';
				$wpdb->query( $wpdb->prepare( "UPDATE {$t} SET created_gmt = %s", gmdate( 'Y-m-d H:i:s', time() - (int) $b['hours'] * 3600 ) ) ); // phpcs:ignore
				return array( 'ok' => true );
			}
		);
		$route(
			'/state',
			'GET',
			static function () {
				global $wpdb;
				$options = array();
				foreach ( $wpdb->get_col( "SELECT option_name FROM {$wpdb->options} WHERE option_name LIKE 'syncflow\_%' OR option_name LIKE '\_transient\_syncflow\_%'" ) as $name ) { // phpcs:ignore
					if ( 0 !== strpos( $name, 'syncflow_test_' ) ) {
						$options[ $name ] = get_option( $name );
					}
				}
				$t = $wpdb->prefix . 'syncflow_idempotency';
				return array(
					'options'       => $options,
					'events'        => get_option( 'syncflow_event_log', array() ),
					'keys'          => $wpdb->get_results( "SELECT key_id, user_id, description, permissions FROM {$wpdb->prefix}woocommerce_api_keys", ARRAY_A ), // phpcs:ignore
					'webhooks'      => array_values( array_map( static function ( $w ) { unset( $w['secret'] ); return $w; }, get_option( 'syncflow_test_double_webhooks', array() ) ) ),
					'webhook_secrets' => array_values( array_map( static function ( $w ) { return $w['secret']; }, get_option( 'syncflow_test_double_webhooks', array() ) ) ),
					'actions'       => function_exists( 'syncflow_test_double_actions' ) ? array_values( syncflow_test_double_actions() ) : null,
					'table_exists'  => $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) ) === $t,
					'idempotency_rows' => $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) ) === $t ? (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$t}" ) : null, // phpcs:ignore
					'active_plugins' => get_option( 'active_plugins' ),
					'hpos'          => class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ? \Automattic\WooCommerce\Utilities\FeaturesUtil::$declared : null,
					'routes'        => array_values( array_filter( array_keys( rest_get_server()->get_routes() ), static function ( $r ) { return 0 === strpos( $r, '/wc-syncflow' ); } ) ),
				);
			}
		);
		$route(
			'/plugin',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				require_once ABSPATH . 'wp-admin/includes/plugin.php';
				require_once ABSPATH . 'wp-admin/includes/file.php';
				$b      = $json( $r );
				$plugin = $b['plugin'];
				switch ( $b['action'] ) {
					case 'activate':
						$res = activate_plugin( $plugin );
						return is_wp_error( $res ) ? new WP_Error( $res->get_error_code(), $res->get_error_message(), array( 'status' => 400 ) ) : array( 'ok' => true );
					case 'deactivate':
						deactivate_plugins( $plugin );
						return array( 'ok' => true );
					case 'uninstall':
						deactivate_plugins( $plugin );
						uninstall_plugin( $plugin );
						return array( 'ok' => true );
				}
				return new WP_Error( 'bad', 'bad action', array( 'status' => 400 ) );
			}
		);
		$route(
			'/option',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				update_option( $b['name'], $b['value'] );
				return array( 'ok' => true );
			}
		);
		$route(
			'/login',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				$u = get_user_by( 'login', $b['login'] );
				wp_set_auth_cookie( $u->ID, false, false );
				return array( 'id' => $u->ID );
			}
		);
	}
);
