<?php
/**
 * REST routes under wc-syncflow/v1 (docs/contracts/wc-syncflow-v1.md).
 *
 * The namespace starts with "wc-", so WooCommerce's REST API key authentication (WC_REST_Authentication)
 * applies exactly as for wc/v3: OAuth 1.0a over HTTP, basic auth over HTTPS, key permissions by method.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Controller of the stock and capability routes.
 */
class SyncFlow_REST_Controller {

	const NAMESPACE_V1 = 'wc-syncflow/v1';

	/**
	 * Registers the routes (rest_api_init).
	 */
	public static function register_routes() {
		$permission = array( __CLASS__, 'permission' );
		register_rest_route(
			self::NAMESPACE_V1,
			'/capabilities',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( __CLASS__, 'capabilities' ),
				'permission_callback' => $permission,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/stock/delta',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( __CLASS__, 'delta' ),
				'permission_callback' => $permission,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/stock/cas',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( __CLASS__, 'cas' ),
				'permission_callback' => $permission,
			)
		);
		// Contract 1.1 (class-syncflow-stock-batch.php): many operations per call, and the catalog's stock in pages.
		register_rest_route(
			self::NAMESPACE_V1,
			'/stock/batch',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( 'SyncFlow_Stock_Batch', 'batch' ),
				'permission_callback' => $permission,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/stock/snapshot',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'callback'            => array( 'SyncFlow_Stock_Batch', 'snapshot' ),
				'permission_callback' => $permission,
			)
		);
		register_rest_route(
			self::NAMESPACE_V1,
			'/connection',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'callback'            => array( __CLASS__, 'adopt_connection' ),
				'permission_callback' => $permission,
			)
		);
	}

	/**
	 * Every route: the caller (a WooCommerce key's user, or a logged-in user with a REST nonce) must be able to
	 * manage WooCommerce. Anonymous callers get 401 rest_forbidden from WordPress.
	 *
	 * @return bool
	 */
	public static function permission() {
		return current_user_can( 'manage_woocommerce' );
	}

	/**
	 * GET /capabilities.
	 *
	 * @return WP_REST_Response
	 */
	public static function capabilities() {
		return new WP_REST_Response(
			array(
				'plugin'           => 'syncflow-for-woocommerce',
				'version'          => SYNCFLOW_VERSION,
				'contract'         => SYNCFLOW_CONTRACT,
				'contract_version' => SYNCFLOW_CONTRACT_VERSION,
				'features'         => self::features(),
			)
		);
	}

	/**
	 * What this plugin offers the hub (GET /capabilities `features`, and the heartbeat's): `stock-events` = it reports
	 * each stock change with its cause (plugin 1.1, class-syncflow-stock-events.php); `stock-batch` / `stock-snapshot` =
	 * POST /stock/batch and GET /stock/snapshot (contract 1.1, class-syncflow-stock-batch.php); `shipment-tracking` =
	 * WooCommerce Shipment Tracking is active here, so the hub writes its `_wc_shipment_tracking_items` order meta when
	 * it pushes a fulfilment back (orders hub; reported only while the extension is active).
	 *
	 * @return string[]
	 */
	public static function features() {
		$features = array( 'stock-delta', 'stock-cas', 'idempotency', 'stock-batch', 'stock-snapshot', 'stock-events' );
		if ( self::shipment_tracking_active() ) {
			$features[] = 'shipment-tracking';
		}
		return $features;
	}

	/**
	 * Whether WooCommerce Shipment Tracking (woocommerce-shipment-tracking) is loaded: its main class or its public
	 * helper function exists.
	 *
	 * @return bool
	 */
	public static function shipment_tracking_active() {
		return class_exists( 'WC_Shipment_Tracking' ) || function_exists( 'wc_st_add_tracking_number' );
	}

	/**
	 * POST /stock/delta.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function delta( WP_REST_Request $request ) {
		return rest_ensure_response( self::delta_op( self::params( $request ) ) );
	}

	/**
	 * One delta operation (POST /stock/delta, and each "delta" op of POST /stock/batch): validation in the contract's
	 * order, then SyncFlow_Stock::delta.
	 *
	 * @param array $params {product_id|sku, delta, request_key}.
	 * @return array|WP_REST_Response|WP_Error
	 */
	public static function delta_op( array $params ) {
		$key = self::request_key( $params );
		if ( is_wp_error( $key ) ) {
			return $key;
		}
		$delta = isset( $params['delta'] ) ? $params['delta'] : null;
		if ( ! is_int( $delta ) || 0 === $delta ) {
			return self::bad_request( __( 'delta must be a non-zero integer.', 'syncflow-for-woocommerce' ) );
		}
		$product = self::target( $params );
		if ( is_wp_error( $product ) ) {
			return $product;
		}
		if ( ! SyncFlow_Stock::stock_holder( $product ) ) {
			return SyncFlow_Stock::not_managed( $product );
		}
		return SyncFlow_Stock::delta( $product, $delta, $key );
	}

	/**
	 * POST /stock/cas.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function cas( WP_REST_Request $request ) {
		return rest_ensure_response( self::cas_op( self::params( $request ) ) );
	}

	/**
	 * One compare-and-set operation (POST /stock/cas, and each "cas" op of POST /stock/batch).
	 *
	 * @param array $params {product_id|sku, expected, quantity, request_key}.
	 * @return array|WP_REST_Response|WP_Error
	 */
	public static function cas_op( array $params ) {
		$key = self::request_key( $params );
		if ( is_wp_error( $key ) ) {
			return $key;
		}
		$expected = isset( $params['expected'] ) ? $params['expected'] : null;
		$quantity = isset( $params['quantity'] ) ? $params['quantity'] : null;
		if ( ! is_int( $expected ) || ! is_int( $quantity ) ) {
			return self::bad_request( __( 'expected and quantity must be integers.', 'syncflow-for-woocommerce' ) );
		}
		$product = self::target( $params );
		if ( is_wp_error( $product ) ) {
			return $product;
		}
		if ( ! SyncFlow_Stock::stock_holder( $product ) ) {
			return SyncFlow_Stock::not_managed( $product );
		}
		return SyncFlow_Stock::cas( $product, $expected, $quantity, $key );
	}

	/**
	 * POST /connection — completes a connection started by the hub through WooCommerce's
	 * /wc-auth/v1/authorize flow: the hub, holding the key WooCommerce just posted to its callback, sends the
	 * connection details with that key; the plugin adopts the calling key as SyncFlow's key.
	 *
	 * @param WP_REST_Request $request Request {hub_url, channel_id, webhook_secret, mode?, shop_name?}.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function adopt_connection( WP_REST_Request $request ) {
		$params  = self::params( $request );
		$hub_url = SyncFlow_Hub_Client::validate_hub_url( isset( $params['hub_url'] ) && is_string( $params['hub_url'] ) ? $params['hub_url'] : '' );
		if ( is_wp_error( $hub_url ) ) {
			return self::bad_request( $hub_url->get_error_message() );
		}
		$channel = isset( $params['channel_id'] ) && is_scalar( $params['channel_id'] ) ? sanitize_text_field( (string) $params['channel_id'] ) : '';
		$secret  = isset( $params['webhook_secret'] ) && is_string( $params['webhook_secret'] ) ? $params['webhook_secret'] : '';
		if ( '' === $channel || strlen( $secret ) < 16 ) {
			return self::bad_request( __( 'channel_id and webhook_secret (16+ chars) are required.', 'syncflow-for-woocommerce' ) );
		}
		$key_id = SyncFlow_Api_Keys::current_request_key_id();
		if ( $key_id <= 0 ) {
			return new WP_Error( 'syncflow_key_required', __( 'Call this route with the WooCommerce key created by /wc-auth/v1/authorize.', 'syncflow-for-woocommerce' ), array( 'status' => 400 ) );
		}
		$mode = isset( $params['mode'] ) && in_array( $params['mode'], array( 'exact', 'buffered' ), true ) ? $params['mode'] : 'exact';
		SyncFlow_Connection::store_connection(
			array(
				'hub_url'     => $hub_url,
				'channel_id'  => $channel,
				'shop_domain' => isset( $params['shop_domain'] ) && is_string( $params['shop_domain'] ) ? sanitize_text_field( $params['shop_domain'] ) : '',
				'shop_name'   => isset( $params['shop_name'] ) && is_string( $params['shop_name'] ) ? sanitize_text_field( $params['shop_name'] ) : '',
				'mode'        => $mode,
				'key_id'      => $key_id,
				'key_user_id' => get_current_user_id(),
			),
			$secret,
			'wc-auth'
		);
		return new WP_REST_Response(
			array(
				'ok'         => true,
				'channel_id' => $channel,
				'key_id'     => $key_id,
			)
		);
	}

	/**
	 * JSON body merged with other params.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return array
	 */
	private static function params( WP_REST_Request $request ) {
		$json = $request->get_json_params();
		return is_array( $json ) ? $json : $request->get_params();
	}

	/**
	 * Validates request_key (1-200 chars).
	 *
	 * @param array $params Params.
	 * @return string|WP_Error
	 */
	private static function request_key( array $params ) {
		$key = isset( $params['request_key'] ) ? $params['request_key'] : null;
		if ( ! is_string( $key ) || '' === $key || strlen( $key ) > 200 ) {
			return self::bad_request( __( 'request_key (1-200 chars) is required.', 'syncflow-for-woocommerce' ) );
		}
		return $key;
	}

	/**
	 * Resolves product_id or sku to a product / variation.
	 *
	 * @param array $params Params.
	 * @return WC_Product|WP_Error
	 */
	private static function target( array $params ) {
		if ( isset( $params['product_id'] ) ) {
			$id      = is_numeric( $params['product_id'] ) ? absint( $params['product_id'] ) : 0;
			$product = $id > 0 ? wc_get_product( $id ) : false;
			if ( ! $product ) {
				return new WP_Error( 'woocommerce_rest_product_invalid_id', __( 'Invalid ID.', 'syncflow-for-woocommerce' ), array( 'status' => 404 ) );
			}
			return $product;
		}
		if ( isset( $params['sku'] ) && is_string( $params['sku'] ) && '' !== $params['sku'] ) {
			$sku     = $params['sku'];
			$id      = (int) wc_get_product_id_by_sku( $sku );
			$product = $id > 0 ? wc_get_product( $id ) : false;
			if ( ! $product ) {
				/* translators: %s: SKU */
				return new WP_Error( 'syncflow_not_found', sprintf( __( 'No product with SKU %s.', 'syncflow-for-woocommerce' ), $sku ), array( 'status' => 404 ) );
			}
			return $product;
		}
		return self::bad_request( __( 'product_id or sku is required.', 'syncflow-for-woocommerce' ) );
	}

	/**
	 * 400 syncflow_bad_request.
	 *
	 * @param string $message Message.
	 * @return WP_Error
	 */
	private static function bad_request( $message ) {
		return new WP_Error( 'syncflow_bad_request', $message, array( 'status' => 400 ) );
	}
}
