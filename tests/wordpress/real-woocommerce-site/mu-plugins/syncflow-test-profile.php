<?php
/**
 * Plugin Name: SyncFlow TEST ONLY - request profile (real WooCommerce)
 * Description: Where the time of a plugin request goes, for bench/woo-plugin-cost.ts (decision 309). Inert unless the
 * `php -S` process runs with SYNCFLOW_WP_PROFILE=<directory>: then every request to /wp-json/wc-syncflow/ logs its
 * queries (SAVEQUERIES: SQL, seconds, caller) and, when the php-excimer extension is loaded, a 1 ms sampling profile,
 * and writes one JSON file per request into that directory at the very end of the request. Never ship.
 *
 * @package SyncFlow_Tests
 */

defined( 'ABSPATH' ) || exit;

$syncflow_profile_dir = getenv( 'SYNCFLOW_WP_PROFILE' );
$syncflow_profile_uri = isset( $_SERVER['REQUEST_URI'] ) ? (string) $_SERVER['REQUEST_URI'] : ''; // phpcs:ignore
$syncflow_cpu_dir     = getenv( 'SYNCFLOW_WP_CPU' );
// SYNCFLOW_WP_CPU=<directory>: only the request's CPU time (getrusage of the PHP worker, user + system), wall time
// and query count, one JSON line per /wc-syncflow/ request in <directory>/cpu.jsonl — cheap enough to leave on while
// timing (CPU time is far less sensitive than wall time to other processes on a shared machine).
if ( $syncflow_cpu_dir && false !== strpos( $syncflow_profile_uri, '/wc-syncflow/' ) ) {
	$syncflow_cpu0 = getrusage();
	add_action(
		'shutdown',
		static function () use ( $syncflow_cpu0, $syncflow_cpu_dir, $syncflow_profile_uri ) {
			$u   = getrusage();
			$cpu = static function ( $r ) {
				return ( $r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec'] ) * 1000 + ( $r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec'] ) / 1000;
			};
			$line = wp_json_encode(
				array(
					'uri'     => $syncflow_profile_uri,
					'at'      => microtime( true ),
					'cpu_ms'  => round( $cpu( $u ) - $cpu( $syncflow_cpu0 ), 1 ),
					'wall_ms' => round( ( microtime( true ) - (float) $_SERVER['REQUEST_TIME_FLOAT'] ) * 1000, 1 ), // phpcs:ignore
					'queries' => (int) $GLOBALS['wpdb']->num_queries,
				)
			);
			file_put_contents( $syncflow_cpu_dir . '/cpu.jsonl', $line . "\n", FILE_APPEND | LOCK_EX );
		},
		PHP_INT_MAX
	);
}
if ( $syncflow_profile_dir && false !== strpos( $syncflow_profile_uri, '/wc-syncflow/' ) ) {
	if ( ! defined( 'SAVEQUERIES' ) ) {
		define( 'SAVEQUERIES', true );
	}
	$GLOBALS['syncflow_profile'] = array(
		'uri'      => $syncflow_profile_uri,
		'start'    => isset( $_SERVER['REQUEST_TIME_FLOAT'] ) ? (float) $_SERVER['REQUEST_TIME_FLOAT'] : microtime( true ),
		'mu'       => microtime( true ),
		'marks'    => array(),
		'queries0' => isset( $GLOBALS['wpdb'] ) ? (int) $GLOBALS['wpdb']->num_queries : 0,
	);
	if ( class_exists( 'ExcimerProfiler' ) ) {
		$syncflow_excimer = new ExcimerProfiler();
		$syncflow_excimer->setPeriod( 0.001 );
		$syncflow_excimer->setEventType( EXCIMER_REAL );
		$syncflow_excimer->start();
		$GLOBALS['syncflow_profile_excimer'] = $syncflow_excimer;
	}
	$syncflow_mark = static function ( $name ) {
		return static function ( $v = null ) use ( $name ) {
			$GLOBALS['syncflow_profile']['marks'][ $name ] = array( microtime( true ), (int) $GLOBALS['wpdb']->num_queries );
			return $v;
		};
	};
	add_filter( 'rest_pre_dispatch', $syncflow_mark( 'dispatch' ), 0 );
	add_filter( 'rest_post_dispatch', $syncflow_mark( 'dispatched' ), PHP_INT_MAX );
	add_action( 'shutdown', $syncflow_mark( 'shutdown' ), PHP_INT_MIN );
	add_action(
		'shutdown',
		static function () {
			global $wpdb;
			$p   = $GLOBALS['syncflow_profile'];
			$end = microtime( true );
			$out = array(
				'uri'        => $p['uri'],
				'total_ms'   => ( $end - $p['start'] ) * 1000,
				'marks_ms'   => array(),
				'queries'    => (int) $wpdb->num_queries,
				'query_ms'   => 0.0,
				'by_caller'  => array(),
				'by_shape'   => array(),
				'excimer'    => null,
			);
			foreach ( $p['marks'] as $name => $m ) {
				$out['marks_ms'][ $name ] = array( round( ( $m[0] - $p['start'] ) * 1000, 1 ), $m[1] );
			}
			foreach ( (array) $wpdb->queries as $q ) {
				$ms               = (float) $q[1] * 1000;
				$out['query_ms'] += $ms;
				// The first caller frame outside wpdb / the SQLite layer, and the first WooCommerce / SyncFlow frame.
				$frames = array_map( 'trim', explode( ',', (string) $q[2] ) );
				$named  = array();
				foreach ( array_reverse( $frames ) as $f ) {
					if ( preg_match( '/^(wpdb|WP_SQLite|WP_MySQL|apply_filters|do_action|WP_Hook|require|include|call_user_func)/', $f ) ) {
						continue;
					}
					$named[] = $f;
					if ( count( $named ) >= 3 ) {
						break;
					}
				}
				$caller = implode( ' < ', $named );
				$shape  = preg_replace( array( '/\'[^\']*\'/', '/\b\d+(\.\d+)?\b/', '/\s+/' ), array( '?', '?', ' ' ), (string) $q[0] );
				$shape  = substr( (string) $shape, 0, 140 );
				foreach ( array( 'by_caller' => $caller, 'by_shape' => $shape ) as $k => $key ) {
					if ( ! isset( $out[ $k ][ $key ] ) ) {
						$out[ $k ][ $key ] = array( 0, 0.0 );
					}
					++$out[ $k ][ $key ][0];
					$out[ $k ][ $key ][1] += $ms;
				}
			}
			foreach ( array( 'by_caller', 'by_shape' ) as $k ) {
				uasort(
					$out[ $k ],
					static function ( $a, $b ) {
						return $b[1] <=> $a[1];
					}
				);
				$out[ $k ] = array_slice( $out[ $k ], 0, 60, true );
			}
			if ( isset( $GLOBALS['syncflow_profile_excimer'] ) ) {
				$GLOBALS['syncflow_profile_excimer']->stop();
				$out['excimer'] = $GLOBALS['syncflow_profile_excimer']->getLog()->formatCollapsed();
			}
			$dir = (string) getenv( 'SYNCFLOW_WP_PROFILE' );
			file_put_contents( $dir . '/' . sprintf( '%.6f', $p['start'] ) . '-' . getmypid() . '.json', wp_json_encode( $out ) );
		},
		PHP_INT_MAX
	);
}
