<?php
/**
 * A short ring buffer of recent SyncFlow events for the status screen.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Recent events (newest first, at most MAX). Messages never contain secrets.
 */
class SyncFlow_Event_Log {

	const MAX = 50;

	/**
	 * Records an event.
	 *
	 * @param string $level   'info' | 'warning' | 'error'.
	 * @param string $type    Short machine name, e.g. 'heartbeat', 'webhook', 'connect'.
	 * @param string $message Human-readable message (plain text).
	 */
	public static function add( $level, $type, $message ) {
		$events = self::all();
		array_unshift(
			$events,
			array(
				'time'    => SyncFlow_Options::now(),
				'level'   => in_array( $level, array( 'info', 'warning', 'error' ), true ) ? $level : 'info',
				'type'    => sanitize_key( $type ),
				'message' => wp_strip_all_tags( (string) $message ),
			)
		);
		update_option( SyncFlow_Options::EVENT_LOG, array_slice( $events, 0, self::MAX ), false );
	}

	/**
	 * All stored events, newest first.
	 *
	 * @return array<int,array{time:string,level:string,type:string,message:string}>
	 */
	public static function all() {
		$events = get_option( SyncFlow_Options::EVENT_LOG, array() );
		return is_array( $events ) ? $events : array();
	}
}
