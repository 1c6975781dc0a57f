<?php
/**
 * Plugin Name: SyncFlow TEST DOUBLE of WooCommerce (not WooCommerce)
 * Description: TEST-ONLY stand-in for the few WooCommerce functions and classes SyncFlow for WooCommerce calls. Mounted as wp-content/plugins/woocommerce/ only by tests/wordpress (so "Requires Plugins: woocommerce" is satisfied). Never ship or install this.
 * Version: 0.0.0-test-double
 *
 * What it mirrors (from woocommerce/woocommerce, plugins/woocommerce/includes):
 *  - REST API key authentication for wc/ and wc-* namespaces (class-wc-rest-authentication.php): OAuth 1.0a
 *    one-legged over HTTP (HMAC-SHA1/256, home_url + path, strcmp-sorted RFC 3986 params, ±15 min timestamp,
 *    nonce per key), basic auth over HTTPS, key permissions by HTTP method, errors woocommerce_rest_authentication_error.
 *  - {prefix}woocommerce_api_keys with wc_api_hash()ed consumer keys.
 *  - Products as posts (product / product_variation) with stock in real post meta (_stock, _manage_stock, _sku), and
 *    wc_update_product_stock() doing WooCommerce's single atomic SQL UPDATE (meta_value = meta_value +/- %f).
 *  - WC_Webhook / wc_get_webhook / WC_Data_Store::load('webhook')->search_webhooks (stored in an option here).
 *  - wc/v3 system_status, webhooks (list/create/delete) and an empty products list: what the hub calls at registration.
 *  - Action Scheduler functions (as_*) with a test runner; FeaturesUtil::declare_compatibility recorder;
 *    a bare WooCommerce > Settings page rendering tabs the way WC_Admin_Settings does.
 *
 * @package SyncFlow_Tests
 */

namespace Automattic\WooCommerce\Utilities {
	/** Records compatibility declarations (real WooCommerce: FeaturesController). */
	class FeaturesUtil {
		/** @var array<string,array<string,bool>> */
		public static $declared = array();
		public static function declare_compatibility( $feature_id, $plugin_file, $positive_compatibility = true ) {
			self::$declared[ $feature_id ][ plugin_basename( $plugin_file ) ] = (bool) $positive_compatibility;
			return true;
		}
	}
}

namespace {

defined( 'ABSPATH' ) || exit;

define( 'WC_VERSION', '0.0.0-syncflow-test-double' );

/** Marker class plugins check for (real: the WooCommerce main class). */
final class WooCommerce {
	public $version = WC_VERSION;
}

// ---------------------------------------------------------------- install (tables, caps)
function syncflow_test_double_install() {
	global $wpdb;
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	$collate = $wpdb->get_charset_collate();
	dbDelta(
		"CREATE TABLE {$wpdb->prefix}woocommerce_api_keys (
  key_id BIGINT UNSIGNED NOT NULL auto_increment,
  user_id BIGINT UNSIGNED NOT NULL,
  description varchar(200) NULL,
  permissions varchar(10) NOT NULL,
  consumer_key char(64) NOT NULL,
  consumer_secret char(43) NOT NULL,
  nonces longtext NULL,
  truncated_key char(7) NOT NULL,
  last_access datetime NULL default null,
  PRIMARY KEY  (key_id),
  KEY consumer_key (consumer_key),
  KEY consumer_secret (consumer_secret)
) $collate;"
	);
	get_role( 'administrator' )->add_cap( 'manage_woocommerce' );
	if ( ! get_role( 'shop_manager' ) ) {
		add_role( 'shop_manager', 'Shop manager', array( 'read' => true, 'manage_woocommerce' => true ) );
	}
	update_option( 'syncflow_test_double_installed', 1 );
}
register_activation_hook( __FILE__, 'syncflow_test_double_install' );
add_action(
	'init',
	function () {
		if ( ! get_option( 'syncflow_test_double_installed' ) ) {
			syncflow_test_double_install();
		}
		register_post_type( 'product', array( 'public' => false ) );
		register_post_type( 'product_variation', array( 'public' => false ) );
		do_action( 'before_woocommerce_init' );
		do_action( 'action_scheduler_init' );
		do_action( 'woocommerce_init' );
	},
	0
);

// ---------------------------------------------------------------- helpers
function wc_rand_hash() {
	return sha1( wp_rand() . wp_generate_password( 32, true, true ) );
}
function wc_api_hash( $data ) {
	return hash_hmac( 'sha256', $data, 'wc-api' );
}
function wc_stock_amount( $amount ) {
	return intval( apply_filters( 'woocommerce_stock_amount', $amount ) );
}
function wc_rest_urlencode_rfc3986( $value ) {
	if ( is_array( $value ) ) {
		return array_map( 'wc_rest_urlencode_rfc3986', $value );
	}
	return str_replace( array( '+', '%7E' ), array( ' ', '~' ), rawurlencode( $value ) );
}

// ---------------------------------------------------------------- products
class WC_Product {
	protected $post;
	public function __construct( WP_Post $post ) {
		$this->post = $post;
	}
	public function get_id() {
		return (int) $this->post->ID;
	}
	public function get_parent_id() {
		return 'product_variation' === $this->post->post_type ? (int) $this->post->post_parent : 0;
	}
	public function get_type() {
		return 'product_variation' === $this->post->post_type ? 'variation' : 'simple';
	}
	public function is_type( $type ) {
		return $this->get_type() === $type;
	}
	public function get_sku() {
		return (string) get_post_meta( $this->get_id(), '_sku', true );
	}
	/** WC_Product_Variation::get_manage_stock(): 'parent' when the parent manages the stock. */
	public function get_manage_stock() {
		if ( 'yes' === get_post_meta( $this->get_id(), '_manage_stock', true ) ) {
			return true;
		}
		if ( $this->get_parent_id() && 'yes' === get_post_meta( $this->get_parent_id(), '_manage_stock', true ) ) {
			return 'parent';
		}
		return false;
	}
	public function managing_stock() {
		return (bool) $this->get_manage_stock();
	}
	public function get_stock_managed_by_id() {
		return 'parent' === $this->get_manage_stock() ? $this->get_parent_id() : $this->get_id();
	}
	public function get_stock_quantity() {
		if ( ! $this->managing_stock() ) {
			return null;
		}
		return wc_stock_amount( get_post_meta( $this->get_stock_managed_by_id(), '_stock', true ) );
	}
	/** Saves: bumps date_modified and fires the hooks WooCommerce's product.updated webhook listens to. */
	public function save() {
		global $wpdb;
		$wpdb->update(
			$wpdb->posts,
			array(
				'post_modified'     => current_time( 'mysql' ),
				'post_modified_gmt' => current_time( 'mysql', true ),
			),
			array( 'ID' => $this->get_id() )
		);
		clean_post_cache( $this->get_id() );
		$stock = get_post_meta( $this->get_id(), '_stock', true );
		if ( 'yes' === get_post_meta( $this->get_id(), '_manage_stock', true ) ) {
			update_post_meta( $this->get_id(), '_stock_status', wc_stock_amount( $stock ) > 0 ? 'instock' : 'outofstock' );
		}
		do_action( 'variation' === $this->get_type() ? 'woocommerce_update_product_variation' : 'woocommerce_update_product', $this->get_id(), $this );
		return $this->get_id();
	}
}

function wc_get_product( $the_product = false ) {
	$post = $the_product instanceof WC_Product ? get_post( $the_product->get_id() ) : get_post( (int) $the_product );
	if ( ! $post || ! in_array( $post->post_type, array( 'product', 'product_variation' ), true ) || 'trash' === $post->post_status ) {
		return false;
	}
	return new WC_Product( $post );
}

function wc_get_product_id_by_sku( $sku ) {
	global $wpdb;
	return (int) $wpdb->get_var(
		$wpdb->prepare(
			"SELECT posts.ID FROM {$wpdb->posts} AS posts INNER JOIN {$wpdb->postmeta} AS meta ON posts.ID = meta.post_id
			 WHERE posts.post_type IN ('product', 'product_variation') AND posts.post_status != 'trash'
			 AND meta.meta_key = '_sku' AND meta.meta_value = %s LIMIT 1",
			$sku
		)
	);
}

/**
 * WooCommerce's wc_update_product_stock() + WC_Product_Data_Store_CPT::update_product_stock(): one atomic SQL
 * UPDATE on the stock holder's _stock meta, read back, then save the holder.
 */
function wc_update_product_stock( $product, $stock_quantity = null, $operation = 'set', $updating = false ) {
	global $wpdb;
	if ( ! $product instanceof WC_Product ) {
		$product = wc_get_product( $product );
	}
	if ( ! $product ) {
		return false;
	}
	if ( null === $stock_quantity || ! $product->managing_stock() ) {
		return $product->get_stock_quantity();
	}
	$holder_id = $product->get_stock_managed_by_id();
	switch ( $operation ) {
		case 'increase':
			$sql = $wpdb->prepare( "UPDATE {$wpdb->postmeta} SET meta_value = meta_value + %f WHERE post_id = %d AND meta_key='_stock'", $stock_quantity, $holder_id );
			break;
		case 'decrease':
			$sql = $wpdb->prepare( "UPDATE {$wpdb->postmeta} SET meta_value = meta_value - %f WHERE post_id = %d AND meta_key='_stock'", $stock_quantity, $holder_id );
			break;
		default:
			$sql = $wpdb->prepare( "UPDATE {$wpdb->postmeta} SET meta_value = %f WHERE post_id = %d AND meta_key='_stock'", $stock_quantity, $holder_id );
			break;
	}
	if ( false === $wpdb->query( $sql ) ) {
		return false;
	}
	wp_cache_delete( $holder_id, 'post_meta' );
	$new = wc_stock_amount( $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_stock'", $holder_id ) ) );
	if ( ! $updating ) {
		wc_get_product( $holder_id )->save();
	}
	do_action( 'woocommerce_product_set_stock', wc_get_product( $holder_id ) );
	return $new;
}

// ---------------------------------------------------------------- webhooks (option-backed)
class WC_Webhook {
	protected $data = array(
		'id'            => 0,
		'name'          => '',
		'status'        => 'disabled',
		'topic'         => '',
		'delivery_url'  => '',
		'secret'        => '',
		'user_id'       => 0,
		'api_version'   => 'wp_api_v3',
		'failure_count' => 0,
	);
	public function __construct( $data = array() ) {
		if ( is_array( $data ) ) {
			$this->data = array_merge( $this->data, $data );
		}
	}
	public function __call( $name, $args ) {
		$prop = substr( $name, 4 );
		if ( 0 === strpos( $name, 'get_' ) && array_key_exists( $prop, $this->data ) ) {
			return $this->data[ $prop ];
		}
		if ( 0 === strpos( $name, 'set_' ) && array_key_exists( $prop, $this->data ) ) {
			$this->data[ $prop ] = $args[0];
			return null;
		}
		throw new BadMethodCallException( 'WC_Webhook test double has no ' . $name ); // phpcs:ignore
	}
	public function save() {
		$all = get_option( 'syncflow_test_double_webhooks', array() );
		if ( ! $this->data['id'] ) {
			$next              = (int) get_option( 'syncflow_test_double_webhook_next', 1 );
			$this->data['id']  = $next;
			update_option( 'syncflow_test_double_webhook_next', $next + 1 );
		}
		$all[ $this->data['id'] ] = $this->data;
		update_option( 'syncflow_test_double_webhooks', $all );
		return $this->data['id'];
	}
	public function delete( $force_delete = false ) {
		$all = get_option( 'syncflow_test_double_webhooks', array() );
		unset( $all[ $this->data['id'] ] );
		update_option( 'syncflow_test_double_webhooks', $all );
		return true;
	}
	public function to_array() {
		$d = $this->data;
		unset( $d['secret'] );
		return $d;
	}
}
function wc_get_webhook( $id ) {
	$all = get_option( 'syncflow_test_double_webhooks', array() );
	return isset( $all[ (int) $id ] ) ? new WC_Webhook( $all[ (int) $id ] ) : null;
}
class SyncFlow_Test_Double_Webhook_Data_Store {
	public function search_webhooks( $args = array() ) {
		$ids = array();
		foreach ( get_option( 'syncflow_test_double_webhooks', array() ) as $id => $w ) {
			if ( empty( $args['status'] ) || $args['status'] === $w['status'] ) {
				$ids[] = (int) $id;
			}
		}
		return $ids;
	}
}
class WC_Data_Store {
	public static function load( $object_type ) {
		if ( 'webhook' !== $object_type ) {
			throw new Exception( 'WC_Data_Store test double only knows webhook' ); // phpcs:ignore
		}
		return new SyncFlow_Test_Double_Webhook_Data_Store();
	}
}

// ---------------------------------------------------------------- Action Scheduler (option-backed)
function syncflow_test_double_actions() {
	return get_option( 'syncflow_test_double_actions', array() );
}
function syncflow_test_double_add_action( $timestamp, $interval, $hook, $args, $group ) {
	$all   = syncflow_test_double_actions();
	$id    = (int) get_option( 'syncflow_test_double_action_next', 1 );
	update_option( 'syncflow_test_double_action_next', $id + 1 );
	$all[ $id ] = array(
		'id'        => $id,
		'hook'      => $hook,
		'args'      => (array) $args,
		'group'     => (string) $group,
		'timestamp' => (int) $timestamp,
		'interval'  => (int) $interval,
	);
	update_option( 'syncflow_test_double_actions', $all );
	return $id;
}
function as_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return syncflow_test_double_add_action( $timestamp, $interval_in_seconds, $hook, $args, $group );
}
function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return syncflow_test_double_add_action( $timestamp, 0, $hook, $args, $group );
}
function as_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return syncflow_test_double_add_action( time(), 0, $hook, $args, $group );
}
function syncflow_test_double_match( $a, $hook, $args, $group ) {
	return ( '' === (string) $hook || $a['hook'] === $hook ) && ( null === $args || array() === $args || $a['args'] === $args ) && ( '' === (string) $group || $a['group'] === $group );
}
function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
	foreach ( syncflow_test_double_actions() as $a ) {
		if ( syncflow_test_double_match( $a, $hook, $args, $group ) ) {
			return true;
		}
	}
	return false;
}
function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
	foreach ( syncflow_test_double_actions() as $a ) {
		if ( syncflow_test_double_match( $a, $hook, $args, $group ) ) {
			return $a['timestamp'];
		}
	}
	return false;
}
function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
	$all = array_filter(
		syncflow_test_double_actions(),
		function ( $a ) use ( $hook, $args, $group ) {
			return ! syncflow_test_double_match( $a, $hook, $args, $group );
		}
	);
	update_option( 'syncflow_test_double_actions', $all );
}
/** Test runner: runs the actions of $group now (recurring ones stay scheduled). */
function syncflow_test_double_run_actions( $group, $hook = '' ) {
	$ran = array();
	foreach ( syncflow_test_double_actions() as $a ) {
		if ( syncflow_test_double_match( $a, $hook, null, $group ) ) {
			do_action_ref_array( $a['hook'], $a['args'] );
			$ran[] = $a['hook'];
			if ( ! $a['interval'] ) {
				$all = syncflow_test_double_actions();
				unset( $all[ $a['id'] ] );
				update_option( 'syncflow_test_double_actions', $all );
			}
		}
	}
	return $ran;
}

// ---------------------------------------------------------------- REST API key authentication
final class SyncFlow_Test_Double_WC_REST_Authentication {
	private $user  = null;
	private $error = null;

	public function __construct() {
		add_filter( 'determine_current_user', array( $this, 'authenticate' ), 15 );
		add_filter( 'rest_authentication_errors', array( $this, 'check_authentication_error' ), 15 );
		add_filter( 'rest_pre_dispatch', array( $this, 'check_user_permissions' ), 10, 3 );
	}

	private function is_request_to_rest_api() {
		if ( empty( $_SERVER['REQUEST_URI'] ) ) {
			return false;
		}
		$rest_prefix = trailingslashit( rest_get_url_prefix() );
		$request_uri = esc_url_raw( wp_unslash( $_SERVER['REQUEST_URI'] ) );
		return false !== strpos( $request_uri, $rest_prefix . 'wc/' ) || false !== strpos( $request_uri, $rest_prefix . 'wc-' );
	}

	public function authenticate( $user_id ) {
		if ( ! empty( $user_id ) || ! $this->is_request_to_rest_api() ) {
			return $user_id;
		}
		if ( is_ssl() ) {
			$user_id = $this->perform_basic_authentication();
			if ( $user_id ) {
				return $user_id;
			}
		}
		return $this->perform_oauth_authentication();
	}

	public function check_authentication_error( $error ) {
		if ( ! empty( $error ) ) {
			return $error;
		}
		return $this->error;
	}

	private function set_error( $error ) {
		$this->user  = null;
		$this->error = $error;
	}

	private function perform_basic_authentication() {
		$consumer_key    = '';
		$consumer_secret = '';
		if ( ! empty( $_SERVER['PHP_AUTH_USER'] ) && ! empty( $_SERVER['PHP_AUTH_PW'] ) ) {
			$consumer_key    = wp_unslash( $_SERVER['PHP_AUTH_USER'] );
			$consumer_secret = wp_unslash( $_SERVER['PHP_AUTH_PW'] );
		} elseif ( ! empty( $_GET['consumer_key'] ) && ! empty( $_GET['consumer_secret'] ) ) {
			$consumer_key    = wp_unslash( $_GET['consumer_key'] );
			$consumer_secret = wp_unslash( $_GET['consumer_secret'] );
		}
		if ( ! $consumer_key || ! $consumer_secret ) {
			return false;
		}
		$this->user = $this->get_user_data_by_consumer_key( $consumer_key );
		if ( empty( $this->user ) || ! hash_equals( $this->user->consumer_secret, $consumer_secret ) ) {
			$this->set_error( new WP_Error( 'woocommerce_rest_authentication_error', 'Consumer secret is invalid.', array( 'status' => 401 ) ) );
			return false;
		}
		return $this->user->user_id;
	}

	private function perform_oauth_authentication() {
		$params = wp_unslash( array_merge( $_GET, $_POST ) );
		$header = isset( $_SERVER['HTTP_AUTHORIZATION'] ) ? wp_unslash( $_SERVER['HTTP_AUTHORIZATION'] ) : '';
		if ( $header && 0 === stripos( trim( $header ), 'oauth ' ) ) {
			preg_match_all( '/(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))/', $header, $matches );
			foreach ( $matches[1] as $i => $k ) {
				$params[ $k ] = urldecode( empty( $matches[3][ $i ] ) ? $matches[4][ $i ] : $matches[3][ $i ] );
			}
		}
		$required = array( 'oauth_consumer_key', 'oauth_timestamp', 'oauth_nonce', 'oauth_signature', 'oauth_signature_method' );
		if ( ! array_intersect( $required, array_keys( $params ) ) ) {
			return false; // Not an OAuth request.
		}
		foreach ( $required as $p ) {
			if ( empty( $params[ $p ] ) ) {
				$this->set_error( new WP_Error( 'woocommerce_rest_authentication_error', 'Missing OAuth parameter ' . $p, array( 'status' => 401 ) ) );
				return false;
			}
		}
		$user = $this->get_user_data_by_consumer_key( $params['oauth_consumer_key'] );
		if ( empty( $user ) ) {
			$this->set_error( new WP_Error( 'woocommerce_rest_authentication_error', 'Consumer key is invalid.', array( 'status' => 401 ) ) );
			return false;
		}
		$signature = $this->check_oauth_signature( $user, $params );
		if ( is_wp_error( $signature ) ) {
			$this->set_error( $signature );
			return false;
		}
		$nonce = $this->check_oauth_timestamp_and_nonce( $user, (int) $params['oauth_timestamp'], $params['oauth_nonce'] );
		if ( is_wp_error( $nonce ) ) {
			$this->set_error( $nonce );
			return false;
		}
		$this->user = $user;
		return (int) $user->user_id;
	}

	private function check_oauth_signature( $user, $params ) {
		$http_method  = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( $_SERVER['REQUEST_METHOD'] ) : '';
		$request_path = isset( $_SERVER['REQUEST_URI'] ) ? wp_parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) : '';
		$wp_base      = get_home_url( null, '/', 'relative' );
		if ( substr( $request_path, 0, strlen( $wp_base ) ) === $wp_base ) {
			$request_path = substr( $request_path, strlen( $wp_base ) );
		}
		$base_request_uri   = rawurlencode( get_home_url( null, $request_path, is_ssl() ? 'https' : 'http' ) );
		$consumer_signature = rawurldecode( str_replace( ' ', '+', $params['oauth_signature'] ) );
		unset( $params['oauth_signature'] );
		uksort( $params, 'strcmp' );
		$params         = array_combine( wc_rest_urlencode_rfc3986( array_keys( $params ) ), wc_rest_urlencode_rfc3986( array_values( $params ) ) );
		$query_string   = implode( '%26', $this->join_with_equals_sign( $params ) );
		$string_to_sign = $http_method . '&' . $base_request_uri . '&' . $query_string;
		if ( 'HMAC-SHA1' !== $params['oauth_signature_method'] && 'HMAC-SHA256' !== $params['oauth_signature_method'] ) {
			return new WP_Error( 'woocommerce_rest_authentication_error', 'Invalid signature - signature method is invalid.', array( 'status' => 401 ) );
		}
		$hash_algorithm = strtolower( str_replace( 'HMAC-', '', $params['oauth_signature_method'] ) );
		$signature      = base64_encode( hash_hmac( $hash_algorithm, $string_to_sign, $user->consumer_secret . '&', true ) );
		if ( ! hash_equals( $signature, $consumer_signature ) ) {
			return new WP_Error( 'woocommerce_rest_authentication_error', 'Invalid signature - provided signature does not match.', array( 'status' => 401 ) );
		}
		return true;
	}

	private function join_with_equals_sign( $params, $query_params = array(), $key = '' ) {
		foreach ( $params as $param_key => $param_value ) {
			if ( $key ) {
				$param_key = $key . '%5B' . $param_key . '%5D';
			}
			if ( is_array( $param_value ) ) {
				$query_params = $this->join_with_equals_sign( $param_value, $query_params, $param_key );
			} else {
				$query_params[] = wc_rest_urlencode_rfc3986( $param_key . '=' . $param_value );
			}
		}
		return $query_params;
	}

	private function check_oauth_timestamp_and_nonce( $user, $timestamp, $nonce ) {
		global $wpdb;
		$valid_window = 15 * 60;
		if ( ( $timestamp < time() - $valid_window ) || ( $timestamp > time() + $valid_window ) ) {
			return new WP_Error( 'woocommerce_rest_authentication_error', 'Invalid timestamp.', array( 'status' => 401 ) );
		}
		$used = maybe_unserialize( $user->nonces );
		$used = is_array( $used ) ? $used : array();
		if ( in_array( $nonce, $used, true ) ) {
			return new WP_Error( 'woocommerce_rest_authentication_error', 'Invalid nonce - nonce has already been used.', array( 'status' => 401 ) );
		}
		$used[ $timestamp ] = $nonce;
		foreach ( $used as $ts => $n ) {
			if ( $ts < time() - $valid_window ) {
				unset( $used[ $ts ] );
			}
		}
		$wpdb->update( $wpdb->prefix . 'woocommerce_api_keys', array( 'nonces' => maybe_serialize( $used ) ), array( 'key_id' => $user->key_id ), array( '%s' ), array( '%d' ) );
		return true;
	}

	private function get_user_data_by_consumer_key( $consumer_key ) {
		global $wpdb;
		return $wpdb->get_row(
			$wpdb->prepare(
				"SELECT key_id, user_id, permissions, consumer_key, consumer_secret, nonces FROM {$wpdb->prefix}woocommerce_api_keys WHERE consumer_key = %s",
				wc_api_hash( sanitize_text_field( $consumer_key ) )
			)
		);
	}

	public function check_user_permissions( $result, $server, $request ) {
		if ( $this->user ) {
			$method = $request->get_method();
			$p      = $this->user->permissions;
			if ( in_array( $method, array( 'HEAD', 'GET' ), true ) && 'read' !== $p && 'read_write' !== $p ) {
				return new WP_Error( 'woocommerce_rest_authentication_error', 'The API key provided does not have read permissions.', array( 'status' => 401 ) );
			}
			if ( in_array( $method, array( 'POST', 'PUT', 'PATCH', 'DELETE' ), true ) && 'write' !== $p && 'read_write' !== $p ) {
				return new WP_Error( 'woocommerce_rest_authentication_error', 'The API key provided does not have write permissions.', array( 'status' => 401 ) );
			}
		}
		return $result;
	}
}
new SyncFlow_Test_Double_WC_REST_Authentication();

// ---------------------------------------------------------------- the few wc/v3 routes the hub calls at registration
// (WC_REST_System_Status_Controller, WC_REST_Webhooks_Controller, WC_REST_Products_Controller — minimal shapes).
add_action(
	'rest_api_init',
	function () {
		$can = function () {
			return current_user_can( 'manage_woocommerce' );
		};
		register_rest_route(
			'wc/v3',
			'/system_status',
			array(
				'methods'             => 'GET',
				'permission_callback' => $can,
				'callback'            => function () {
					return array(
						'environment' => array( 'home_url' => home_url(), 'site_url' => site_url(), 'version' => WC_VERSION, 'wp_version' => get_bloginfo( 'version' ), 'site_title' => get_bloginfo( 'name' ) ),
						'settings'    => array( 'currency' => 'USD', 'currency_symbol' => '$' ),
					);
				},
			)
		);
		register_rest_route(
			'wc/v3',
			'/webhooks',
			array(
				array(
					'methods'             => 'GET',
					'permission_callback' => $can,
					'callback'            => function () {
						$out = array_values( array_map( function ( $w ) { unset( $w['secret'] ); return $w; }, get_option( 'syncflow_test_double_webhooks', array() ) ) );
						$r   = new WP_REST_Response( $out );
						$r->header( 'X-WP-Total', (string) count( $out ) );
						$r->header( 'X-WP-TotalPages', '1' );
						return $r;
					},
				),
				array(
					'methods'             => 'POST',
					'permission_callback' => $can,
					'callback'            => function ( WP_REST_Request $req ) {
						$w = new WC_Webhook();
						$w->set_name( (string) $req['name'] );
						$w->set_topic( (string) $req['topic'] );
						$w->set_delivery_url( (string) $req['delivery_url'] );
						$w->set_secret( (string) $req['secret'] );
						$w->set_status( $req['status'] ? (string) $req['status'] : 'active' );
						$w->set_user_id( get_current_user_id() );
						$w->save();
						return new WP_REST_Response( $w->to_array(), 201 );
					},
				),
			)
		);
		register_rest_route(
			'wc/v3',
			'/webhooks/(?P<id>\d+)',
			array(
				'methods'             => 'DELETE',
				'permission_callback' => $can,
				'callback'            => function ( WP_REST_Request $req ) {
					$w = wc_get_webhook( (int) $req['id'] );
					if ( ! $w ) {
						return new WP_Error( 'woocommerce_rest_webhook_invalid_id', 'Invalid ID.', array( 'status' => 404 ) );
					}
					$w->delete( true );
					return $w->to_array();
				},
			)
		);
		register_rest_route(
			'wc/v3',
			'/products',
			array(
				'methods'             => 'GET',
				'permission_callback' => $can,
				'callback'            => function () {
					$r = new WP_REST_Response( array() ); // the test double lists no catalog
					$r->header( 'X-WP-Total', '0' );
					$r->header( 'X-WP-TotalPages', '1' );
					return $r;
				},
			)
		);
	}
);

// ---------------------------------------------------------------- WooCommerce > Settings (bare WC_Admin_Settings::output)
add_action(
	'admin_menu',
	function () {
		add_menu_page( 'WooCommerce TEST DOUBLE', 'WooCommerce (test double)', 'manage_woocommerce', 'woocommerce', '__return_null', 'dashicons-cart', 55 );
		add_submenu_page(
			'woocommerce',
			'Settings',
			'Settings',
			'manage_woocommerce',
			'wc-settings',
			function () {
				$tabs        = apply_filters( 'woocommerce_settings_tabs_array', array( 'general' => 'General' ) );
				$current_tab = isset( $_GET['tab'] ) ? sanitize_key( wp_unslash( $_GET['tab'] ) ) : 'general';
				echo '<div class="wrap woocommerce"><form method="post" id="mainform" action="" enctype="multipart/form-data"><nav class="nav-tab-wrapper woo-nav-tab-wrapper">';
				foreach ( $tabs as $slug => $label ) {
					echo '<a href="' . esc_url( admin_url( 'admin.php?page=wc-settings&tab=' . $slug ) ) . '" class="nav-tab ' . ( $current_tab === $slug ? 'nav-tab-active' : '' ) . '">' . esc_html( $label ) . '</a>';
				}
				echo '</nav>';
				do_action( 'woocommerce_sections_' . $current_tab );
				do_action( 'woocommerce_settings_' . $current_tab );
				if ( empty( $GLOBALS['hide_save_button'] ) ) {
					echo '<p class="submit"><button name="save" class="button-primary" type="submit" value="Save changes">Save changes</button></p>';
				}
				wp_nonce_field( 'woocommerce-settings' );
				echo '</form></div>';
			}
		);
	}
);

} // end global namespace
