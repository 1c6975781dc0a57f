<?php
/**
 * Names and accessors of everything SyncFlow stores in wp_options.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Option storage. The webhook secret is kept in its own non-autoloaded option and is never printed back.
 */
class SyncFlow_Options {

	const CONNECTION     = 'syncflow_connection';
	const WEBHOOK_SECRET = 'syncflow_webhook_secret';
	const HEALTH         = 'syncflow_health';
	const EVENT_LOG      = 'syncflow_event_log';
	const DB_VERSION     = 'syncflow_db_version';
	const LAST_SYNC      = 'syncflow_last_sync_gmt';

	/**
	 * Every option the plugin creates (uninstall removes them all).
	 *
	 * @return string[]
	 */
	public static function all() {
		return array( self::CONNECTION, self::WEBHOOK_SECRET, self::HEALTH, self::EVENT_LOG, self::DB_VERSION, self::LAST_SYNC );
	}

	/**
	 * The connection record.
	 *
	 * @return array{status:string,hub_url:string,channel_id:string,shop_domain:string,shop_name:string,mode:string,key_id:int,connected_at:string,disconnected_by_hub_gmt:string}
	 */
	public static function connection() {
		$defaults = array(
			'status'                  => 'disconnected',
			'hub_url'                 => '',
			'channel_id'              => '',
			'shop_domain'             => '',
			'shop_name'               => '',
			'mode'                    => '',
			'key_id'                  => 0,
			'key_user_id'             => 0,
			'connected_at'            => '',
			'disconnected_by_hub_gmt' => '',
		);
		$stored   = get_option( self::CONNECTION, array() );
		return array_merge( $defaults, is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Saves (merges) the connection record.
	 *
	 * @param array $changes Fields to change.
	 */
	public static function update_connection( array $changes ) {
		update_option( self::CONNECTION, array_merge( self::connection(), $changes ), true );
	}

	/**
	 * Whether the store is connected to a hub.
	 *
	 * @return bool
	 */
	public static function is_connected() {
		$c = self::connection();
		return 'connected' === $c['status'] && '' !== $c['channel_id'] && '' !== self::webhook_secret();
	}

	/**
	 * The shared secret (HMAC key of webhooks and of the plugin's calls to the hub).
	 *
	 * @return string
	 */
	public static function webhook_secret() {
		return (string) get_option( self::WEBHOOK_SECRET, '' );
	}

	/**
	 * Stores the shared secret (not autoloaded).
	 *
	 * @param string $secret Secret returned once by the hub.
	 */
	public static function set_webhook_secret( $secret ) {
		update_option( self::WEBHOOK_SECRET, (string) $secret, false );
	}

	/**
	 * Health record of the webhooks / heartbeat.
	 *
	 * @return array
	 */
	public static function health() {
		$defaults = array(
			'last_check_gmt'        => '',
			'last_heartbeat_ok_gmt' => '',
			'last_heartbeat_error'  => '',
			'last_healthy_gmt'      => '',
			'last_event_gmt'        => '',
			'missed_since_gmt'      => '',
			'webhooks'              => array(),
		);
		$stored   = get_option( self::HEALTH, array() );
		return array_merge( $defaults, is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Saves (merges) the health record.
	 *
	 * @param array $changes Fields to change.
	 */
	public static function update_health( array $changes ) {
		update_option( self::HEALTH, array_merge( self::health(), $changes ), false );
	}

	/**
	 * Current time as ISO-8601 UTC.
	 *
	 * @return string
	 */
	public static function now() {
		return gmdate( 'Y-m-d\TH:i:s\Z' );
	}

	/**
	 * Normalises a stored UTC time to ISO-8601 ("" stays "").
	 *
	 * @param string $value Stored time.
	 * @return string
	 */
	public static function iso( $value ) {
		$ts = '' !== (string) $value ? strtotime( preg_match( '/Z$|[+-]\d\d:?\d\d$/', (string) $value ) ? (string) $value : $value . ' UTC' ) : false;
		return false === $ts ? '' : gmdate( 'Y-m-d\TH:i:s\Z', $ts );
	}
}
