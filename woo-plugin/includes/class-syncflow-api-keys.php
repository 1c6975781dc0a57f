<?php
/**
 * Creation and revocation of the WooCommerce REST API key used by the SyncFlow hub.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * WooCommerce has no public PHP API to create REST keys: like WC_Auth::create_keys() and the
 * "Add key" screen, the key is inserted into {prefix}woocommerce_api_keys with the consumer key hashed
 * by wc_api_hash(). The plain consumer key/secret only ever leave this class towards the hub.
 */
class SyncFlow_Api_Keys {

	/**
	 * Creates a read/write key owned by $user_id.
	 *
	 * @param int $user_id Owner (needs manage_woocommerce).
	 * @return array{key_id:int,consumer_key:string,consumer_secret:string}|WP_Error
	 */
	public static function create( $user_id ) {
		global $wpdb;
		$consumer_key    = 'ck_' . wc_rand_hash();
		$consumer_secret = 'cs_' . wc_rand_hash();
		$ok              = $wpdb->insert( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery
			$wpdb->prefix . 'woocommerce_api_keys',
			array(
				'user_id'         => (int) $user_id,
				/* translators: %s: date and time (UTC) */
				'description'     => sprintf( __( 'SyncFlow - created %s', 'syncflow-for-woocommerce' ), gmdate( 'Y-m-d H:i' ) . ' UTC' ),
				'permissions'     => 'read_write',
				'consumer_key'    => wc_api_hash( $consumer_key ),
				'consumer_secret' => $consumer_secret,
				'truncated_key'   => substr( $consumer_key, -7 ),
			),
			array( '%d', '%s', '%s', '%s', '%s', '%s' )
		);
		if ( false === $ok ) {
			return new WP_Error( 'syncflow_key_failed', __( 'Could not create a WooCommerce REST API key.', 'syncflow-for-woocommerce' ) );
		}
		return array(
			'key_id'          => (int) $wpdb->insert_id,
			'consumer_key'    => $consumer_key,
			'consumer_secret' => $consumer_secret,
		);
	}

	/**
	 * Deletes a key by id.
	 *
	 * @param int $key_id Key id.
	 */
	public static function revoke( $key_id ) {
		global $wpdb;
		if ( (int) $key_id > 0 ) {
			$wpdb->delete( $wpdb->prefix . 'woocommerce_api_keys', array( 'key_id' => (int) $key_id ), array( '%d' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery
		}
	}

	/**
	 * The id of the key that authenticated the current REST request (from its consumer key), or 0.
	 *
	 * @return int
	 */
	public static function current_request_key_id() {
		global $wpdb;
		$consumer_key = '';
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- REST request authenticated by WooCommerce; read-only lookup.
		if ( ! empty( $_SERVER['PHP_AUTH_USER'] ) ) {
			$consumer_key = sanitize_text_field( wp_unslash( $_SERVER['PHP_AUTH_USER'] ) );
		} elseif ( ! empty( $_GET['oauth_consumer_key'] ) ) {
			$consumer_key = sanitize_text_field( wp_unslash( $_GET['oauth_consumer_key'] ) );
		} elseif ( ! empty( $_GET['consumer_key'] ) ) {
			$consumer_key = sanitize_text_field( wp_unslash( $_GET['consumer_key'] ) );
		} elseif ( ! empty( $_SERVER['HTTP_AUTHORIZATION'] ) && preg_match( '/oauth_consumer_key="?([^",]+)/', sanitize_text_field( wp_unslash( $_SERVER['HTTP_AUTHORIZATION'] ) ), $m ) ) {
			$consumer_key = rawurldecode( $m[1] );
		}
		// phpcs:enable
		if ( '' === $consumer_key ) {
			return 0;
		}
		return (int) $wpdb->get_var( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$wpdb->prepare( "SELECT key_id FROM {$wpdb->prefix}woocommerce_api_keys WHERE consumer_key = %s", wc_api_hash( $consumer_key ) )
		);
	}
}
