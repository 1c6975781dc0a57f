<?php
/**
 * Plugin Name: SyncFlow TEST ONLY - allow loopback HTTP
 * Description: Lets wp_safe_remote_*() reach a hub on 127.0.0.1 with an odd port over plain http, for the
 * Playground tests only (WordPress blocks loopback/private hosts and unusual ports by default). Never ship.
 *
 * @package SyncFlow_Tests
 */

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
	static function ( $ports ) {
		$ports[] = (int) get_option( 'syncflow_test_hub_port', 0 );
		return $ports;
	}
);
add_filter( 'syncflow_allow_insecure_hub_url', '__return_true' );
