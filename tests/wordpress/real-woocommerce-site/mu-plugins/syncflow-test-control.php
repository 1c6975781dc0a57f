<?php
/**
 * Plugin Name: SyncFlow TEST ONLY - control API (real WooCommerce)
 * Description: Unauthenticated helpers under /wp-json/syncflow-test/v1 for the tests that run a REAL WooCommerce
 * (tests/wordpress/real-woocommerce.ts): create products, users and REST keys through WooCommerce's own CRUD, run
 * Action Scheduler actions, inspect state, (de)activate / uninstall plugins, log in. Loaded only by that harness on
 * 127.0.0.1. Never ship.
 *
 * @package SyncFlow_Tests
 */

defined( 'ABSPATH' ) || exit;

/**
 * Runs pending Action Scheduler actions through WooCommerce's own runner (claims, logs, reschedules recurring ones).
 *
 * @param array $filter group (string), hook (string), groups (string[]), exclude_groups (string[]), due_only (bool),
 *                      limit (int).
 * @return string[] Hooks run, in order.
 */
function syncflow_test_run_actions( array $filter ) {
	if ( ! class_exists( 'ActionScheduler' ) ) {
		return array();
	}
	$query = array(
		'status'   => ActionScheduler_Store::STATUS_PENDING,
		'per_page' => isset( $filter['limit'] ) ? (int) $filter['limit'] : 100,
		'orderby'  => 'date',
		'order'    => 'ASC',
	);
	if ( ! empty( $filter['due_only'] ) ) {
		$query['date']         = as_get_datetime_object();
		$query['date_compare'] = '<=';
	}
	if ( ! empty( $filter['group'] ) ) {
		$query['group'] = (string) $filter['group'];
	}
	if ( ! empty( $filter['hook'] ) ) {
		$query['hook'] = (string) $filter['hook'];
	}
	$store   = ActionScheduler::store();
	$runner  = ActionScheduler::runner();
	$only    = isset( $filter['groups'] ) ? (array) $filter['groups'] : array();
	$exclude = isset( $filter['exclude_groups'] ) ? (array) $filter['exclude_groups'] : array();
	$ran     = array();
	foreach ( $store->query_actions( $query ) as $id ) {
		$action = $store->fetch_action( $id );
		$group  = (string) $action->get_group();
		if ( ( $only && ! in_array( $group, $only, true ) ) || in_array( $group, $exclude, true ) ) {
			continue;
		}
		$runner->process_action( $id, 'SyncFlow test runner' );
		$ran[] = $action->get_hook();
	}
	return $ran;
}

/**
 * Pending actions of a group, as {id, hook, group, args, interval (s, 0 = single), scheduled_gmt}.
 *
 * @param string $group Group ('' = all groups).
 * @return array[]
 */
function syncflow_test_pending_actions( $group ) {
	if ( ! function_exists( 'as_get_scheduled_actions' ) ) {
		return null;
	}
	$args = array(
		'status'   => 'pending',
		'per_page' => -1,
		'orderby'  => 'date',
		'order'    => 'ASC',
	);
	if ( '' !== $group ) {
		$args['group'] = $group;
	}
	$out = array();
	foreach ( as_get_scheduled_actions( $args, 'ids' ) as $id ) {
		$action   = ActionScheduler::store()->fetch_action( $id );
		$schedule = $action->get_schedule();
		$date     = $schedule->get_date();
		$out[]    = array(
			'id'            => (int) $id,
			'hook'          => $action->get_hook(),
			'group'         => $action->get_group(),
			'args'          => $action->get_args(),
			'interval'      => ( $schedule instanceof ActionScheduler_IntervalSchedule ) ? (int) $schedule->get_recurrence() : 0,
			'scheduled_gmt' => $date ? $date->format( 'Y-m-d\TH:i:s\Z' ) : null,
		);
	}
	return $out;
}

/**
 * WooCommerce's webhooks, as the data store holds them (the secret kept apart).
 *
 * @return array[]
 */
function syncflow_test_webhooks() {
	if ( ! class_exists( 'WC_Data_Store' ) ) {
		return array();
	}
	$out = array();
	foreach ( WC_Data_Store::load( 'webhook' )->search_webhooks( array( 'limit' => -1 ) ) as $id ) {
		$w = wc_get_webhook( $id );
		if ( ! $w ) {
			continue;
		}
		$out[] = array(
			'id'            => (int) $w->get_id(),
			'name'          => $w->get_name(),
			'topic'         => $w->get_topic(),
			'status'        => $w->get_status(),
			'delivery_url'  => $w->get_delivery_url(),
			'failure_count' => (int) $w->get_failure_count(),
			'api_version'   => $w->get_api_version(),
			'user_id'       => (int) $w->get_user_id(),
			'secret'        => $w->get_secret(),
		);
	}
	usort(
		$out,
		static function ( $a, $b ) {
			return $a['id'] - $b['id'];
		}
	);
	return $out;
}

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
		$json  = static function ( WP_REST_Request $r ) {
			$p = $r->get_json_params();
			return is_array( $p ) ? $p : array();
		};

		$route(
			'/ping',
			'GET',
			static function () {
				return array(
					'ok'          => true,
					'wp'          => get_bloginfo( 'version' ),
					'woocommerce' => defined( 'WC_VERSION' ) ? WC_VERSION : null,
					'php'         => PHP_VERSION,
				);
			}
		);

		// Product through WooCommerce's CRUD: simple (default), variable ({variable:true}) or a variation of
		// parent_sku. qty = managed stock quantity; null / absent = stock not managed.
		$route(
			'/product',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b      = $json( $r );
				$parent = empty( $b['parent_sku'] ) ? 0 : (int) wc_get_product_id_by_sku( $b['parent_sku'] );
				if ( ! empty( $b['parent_sku'] ) && ! $parent ) {
					return new WP_Error( 'syncflow_test', 'unknown parent_sku', array( 'status' => 400 ) );
				}
				if ( $parent ) {
					$p = new WC_Product_Variation();
					$p->set_parent_id( $parent );
				} elseif ( ! empty( $b['variable'] ) ) {
					$p = new WC_Product_Variable();
					$p->set_name( (string) $b['sku'] );
				} else {
					$p = new WC_Product_Simple();
					$p->set_name( (string) $b['sku'] );
				}
				$p->set_sku( (string) $b['sku'] );
				$p->set_status( 'publish' );
				$p->set_regular_price( isset( $b['price'] ) ? (string) $b['price'] : '10' );
				$managed = array_key_exists( 'qty', $b ) && null !== $b['qty'];
				$p->set_manage_stock( $managed );
				if ( $managed ) {
					$p->set_stock_quantity( (int) $b['qty'] );
				}
				$id = $p->save();
				return array( 'id' => $id );
			}
		);
		// Many simple products with managed stock in one call and one transaction (bench/woo-plugin-cost.ts):
		// {prefix, count, qty} → {ids} (SKUs <prefix><i>).
		$route(
			'/products',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				global $wpdb;
				$b   = $json( $r );
				$ids = array();
				$wpdb->query( 'START TRANSACTION' ); // phpcs:ignore
				for ( $i = 0; $i < (int) $b['count']; $i++ ) {
					$p = new WC_Product_Simple();
					$p->set_name( $b['prefix'] . $i );
					$p->set_sku( $b['prefix'] . $i );
					$p->set_status( 'publish' );
					$p->set_regular_price( '10' );
					$p->set_manage_stock( true );
					$p->set_stock_quantity( (int) $b['qty'] );
					$ids[] = $p->save();
				}
				$wpdb->query( 'COMMIT' ); // phpcs:ignore
				return array( 'ids' => $ids );
			}
		);
		$route(
			'/stock',
			'GET',
			static function ( WP_REST_Request $r ) {
				$p = wc_get_product( wc_get_product_id_by_sku( (string) $r->get_param( 'sku' ) ) );
				if ( ! $p ) {
					return array( 'stock_quantity' => null );
				}
				$holder = wc_get_product( $p->get_stock_managed_by_id() );
				return array( 'stock_quantity' => $holder && $holder->managing_stock() ? $holder->get_stock_quantity() : null );
			}
		);
		// A stock edit the way wp-admin / another plugin makes it (wc_update_product_stock, 'set').
		$route(
			'/stock',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				$p = wc_get_product( wc_get_product_id_by_sku( (string) $b['sku'] ) );
				if ( ! $p ) {
					return new WP_Error( 'syncflow_test', 'unknown sku', array( 'status' => 404 ) );
				}
				$after = wc_update_product_stock( $p, (int) $b['quantity'], 'set' );
				return array(
					'ok'    => true,
					'after' => $after,
				);
			}
		);
		// A REST API key row exactly as WooCommerce's key screen writes it (consumer_key stored as wc_api_hash()).
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
						'description'     => isset( $b['description'] ) ? (string) $b['description'] : 'test',
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
				$b  = $json( $r );
				$u  = get_user_by( 'login', $b['login'] );
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
		// Runs pending actions now. {group, hook}: every matching action whatever its date (a test asking for
		// "the health check now"); {due_only: true, exclude_groups|groups}: what a queue runner would run.
		$route(
			'/run-actions',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				return array( 'ran' => syncflow_test_run_actions( $b ) );
			}
		);
		$route(
			'/actions',
			'GET',
			static function ( WP_REST_Request $r ) {
				return syncflow_test_pending_actions( (string) $r->get_param( 'group' ) );
			}
		);
		$route(
			'/webhook',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				$w = wc_get_webhook( (int) $b['id'] );
				if ( ! $w ) {
					return new WP_Error( 'syncflow_test', 'unknown webhook', array( 'status' => 404 ) );
				}
				if ( ! empty( $b['delete'] ) ) {
					$w->delete( true );
					return array( 'ok' => true );
				}
				$w->set_status( $b['status'] );
				if ( 'disabled' === $b['status'] ) {
					$w->set_failure_count( 6 ); // what WC_Webhook::failed_delivery() leaves when it disables one
				}
				$w->save();
				return array( 'ok' => true );
			}
		);
		// The action WC_Webhook::log_delivery() fires after a delivery attempt, with a chosen outcome.
		$route(
			'/webhook-delivery',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b        = $json( $r );
				$response = isset( $b['code'] ) ? array(
					'response' => array(
						'code'    => (int) $b['code'],
						'message' => '',
					),
					'headers'  => array(),
					'body'     => '',
				) : new WP_Error( 'http_request_failed', 'timeout' );
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
				$t        = $wpdb->prefix . 'syncflow_idempotency';
				$has      = $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $t ) ) === $t;
				$webhooks = syncflow_test_webhooks();
				$hpos     = null;
				if ( function_exists( 'wc_get_container' ) ) {
					$features = wc_get_container()->get( \Automattic\WooCommerce\Internal\Features\FeaturesController::class );
					$compat   = $features->get_compatible_plugins_for_feature( 'custom_order_tables' );
					$hpos     = array(
						'enabled'      => \Automattic\WooCommerce\Utilities\OrderUtil::custom_orders_table_usage_is_enabled(),
						'compatible'   => array_values( $compat['compatible'] ),
						'incompatible' => array_values( $compat['incompatible'] ),
					);
				}
				return array(
					'options'          => $options,
					'events'           => get_option( 'syncflow_event_log', array() ),
					'keys'             => $wpdb->get_results( "SELECT key_id, user_id, description, permissions FROM {$wpdb->prefix}woocommerce_api_keys", ARRAY_A ), // phpcs:ignore
					'webhooks'         => array_map(
						static function ( $w ) {
							unset( $w['secret'] );
							return $w;
						},
						$webhooks
					),
					'webhook_secrets'  => array_column( $webhooks, 'secret' ),
					'actions'          => syncflow_test_pending_actions( 'syncflow' ),
					'table_exists'     => $has,
					'idempotency_rows' => $has ? (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$t}" ) : null, // phpcs:ignore
					'active_plugins'   => get_option( 'active_plugins' ),
					'hpos'             => $hpos,
					'routes'           => array_values(
						array_filter(
							array_keys( rest_get_server()->get_routes() ),
							static function ( $r ) {
								return 0 === strpos( $r, '/wc-syncflow' );
							}
						)
					),
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
		// Cancels the pending actions of one Action Scheduler group (bench/woo-plugin-cost.ts: a store's runner would have
		// delivered the previous call's webhooks, so the next call schedules its own instead of finding them pending).
		$route(
			'/actions/cancel',
			'POST',
			static function ( WP_REST_Request $r ) use ( $json ) {
				$b = $json( $r );
				ActionScheduler::store()->cancel_actions_by_group( (string) $b['group'] );
				return array( 'ok' => true );
			}
		);
		// What WooCommerce holds for a product after a stock change: the product object's stock and status, the
		// stored meta, the wc_product_meta_lookup row, and the low / no stock actions fired in this site so far
		// (counted by the test environment plugin).
		$route(
			'/product-state',
			'GET',
			static function ( WP_REST_Request $r ) {
				global $wpdb;
				$id = (int) $r->get_param( 'id' );
				wp_cache_flush();
				$p = wc_get_product( $id );
				if ( ! $p ) {
					return new WP_Error( 'syncflow_test', 'unknown product', array( 'status' => 404 ) );
				}
				$lookup = $wpdb->get_row( $wpdb->prepare( "SELECT stock_quantity, stock_status FROM {$wpdb->prefix}wc_product_meta_lookup WHERE product_id = %d", $id ), ARRAY_A ); // phpcs:ignore
				return array(
					'stock_quantity' => $p->get_stock_quantity(),
					'stock_status'   => $p->get_stock_status(),
					'meta_stock'     => get_post_meta( $id, '_stock', true ),
					'meta_status'    => get_post_meta( $id, '_stock_status', true ),
					'lookup'         => $lookup ? array(
						'stock_quantity' => null === $lookup['stock_quantity'] ? null : (float) $lookup['stock_quantity'],
						'stock_status'   => $lookup['stock_status'],
					) : null,
					'outofstock_term' => has_term( 'outofstock', 'product_visibility', $id ),
					'stock_notices'  => get_option( 'syncflow_test_stock_notices', array() ),
				);
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
