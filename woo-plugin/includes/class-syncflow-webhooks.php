<?php
/**
 * Keeps SyncFlow's WooCommerce webhooks healthy and reports to the hub (heartbeat).
 *
 * WooCommerce never retries a failed delivery and disables a webhook after more than 5 consecutive failures;
 * every change made while it is disabled is lost. The periodic check re-enables or recreates SyncFlow's
 * webhooks and tells the hub since when events may have been missed, so the hub can reconcile.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Webhook health and heartbeat.
 */
class SyncFlow_Webhooks {

	const TOPICS = array( 'order.created', 'order.updated', 'product.created', 'product.updated' );

	/**
	 * The delivery URL SyncFlow's webhooks must use.
	 *
	 * @return string
	 */
	public static function expected_delivery_url() {
		$c = SyncFlow_Options::connection();
		// The hub builds delivery URLs from its own public URL, which may differ from the URL the owner typed
		// (alias, proxy): reuse the URL of a webhook the hub created for this channel when there is one.
		foreach ( self::ours() as $webhook ) {
			if ( self::is_for_channel( (string) $webhook->get_delivery_url(), $c['channel_id'] ) ) {
				return (string) $webhook->get_delivery_url();
			}
		}
		return $c['hub_url'] . '/webhooks/woocommerce/' . rawurlencode( $c['channel_id'] );
	}

	/**
	 * Whether a delivery URL is SyncFlow's for $channel_id (path ends with /webhooks/woocommerce/<channel_id>).
	 *
	 * @param string $url        Delivery URL.
	 * @param string $channel_id Channel id.
	 * @return bool
	 */
	private static function is_for_channel( $url, $channel_id ) {
		$path = (string) wp_parse_url( $url, PHP_URL_PATH );
		return '' !== (string) $channel_id && substr( $path, -strlen( '/webhooks/woocommerce/' . $channel_id ) ) === '/webhooks/woocommerce/' . $channel_id;
	}

	/**
	 * SyncFlow's webhooks (delivery URL under <hub>/webhooks/woocommerce/).
	 *
	 * @param string $hub_url Hub URL (default: the connected one).
	 * @return WC_Webhook[]
	 */
	public static function ours( $hub_url = '' ) {
		$connection = SyncFlow_Options::connection();
		if ( '' === $hub_url ) {
			$hub_url = $connection['hub_url'];
		}
		if ( '' === $hub_url || ! class_exists( 'WC_Data_Store' ) ) {
			return array();
		}
		$prefix = $hub_url . '/webhooks/woocommerce/';
		$ids    = WC_Data_Store::load( 'webhook' )->search_webhooks( array( 'limit' => -1 ) );
		$out    = array();
		foreach ( (array) $ids as $id ) {
			$webhook = wc_get_webhook( $id );
			$url     = $webhook ? (string) $webhook->get_delivery_url() : '';
			if ( $webhook && ( 0 === strpos( $url, $prefix ) || self::is_for_channel( $url, $connection['channel_id'] ) ) ) {
				$out[] = $webhook;
			}
		}
		return $out;
	}

	/**
	 * Deletes all of SyncFlow's webhooks.
	 *
	 * @param string $hub_url Hub URL.
	 * @return int Number deleted.
	 */
	public static function delete_all( $hub_url = '' ) {
		$n = 0;
		foreach ( self::ours( $hub_url ) as $webhook ) {
			$webhook->delete( true );
			++$n;
		}
		return $n;
	}

	/**
	 * Ensures one active webhook per topic pointing at the hub.
	 *
	 * @return array{webhooks:array,recreated:array} Summary for the heartbeat.
	 */
	public static function ensure() {
		$connection = SyncFlow_Options::connection();
		$expected   = self::expected_delivery_url();
		$ours       = self::ours();
		$recreated  = array();

		foreach ( self::TOPICS as $topic ) {
			$match = null;
			foreach ( $ours as $webhook ) {
				if ( $webhook->get_topic() === $topic && $webhook->get_delivery_url() === $expected ) {
					$match = ( $match && 'active' === $match->get_status() ) ? $match : $webhook;
				}
			}
			if ( $match && 'active' === $match->get_status() ) {
				continue;
			}
			if ( $match ) {
				$was = $match->get_status();
				$match->set_status( 'active' );
				$match->set_failure_count( 0 );
				$match->save();
				$recreated[] = array(
					'id'    => (int) $match->get_id(),
					'topic' => $topic,
				);
				/* translators: 1: webhook topic, 2: previous status */
				SyncFlow_Event_Log::add( 'warning', 'webhook', sprintf( __( 'Webhook %1$s was %2$s; re-enabled.', 'syncflow-for-woocommerce' ), $topic, $was ) );
				continue;
			}
			$webhook = new WC_Webhook();
			/* translators: %s: webhook topic */
			$webhook->set_name( sprintf( __( 'SyncFlow: %s', 'syncflow-for-woocommerce' ), $topic ) );
			$webhook->set_user_id( $connection['key_user_id'] ? (int) $connection['key_user_id'] : get_current_user_id() );
			$webhook->set_topic( $topic );
			$webhook->set_delivery_url( $expected );
			$webhook->set_secret( SyncFlow_Options::webhook_secret() );
			$webhook->set_api_version( 'wp_api_v3' );
			$webhook->set_status( 'active' );
			$webhook->save();
			$recreated[] = array(
				'id'    => (int) $webhook->get_id(),
				'topic' => $topic,
			);
			/* translators: %s: webhook topic */
			SyncFlow_Event_Log::add( 'warning', 'webhook', sprintf( __( 'Webhook %s was missing; created it again.', 'syncflow-for-woocommerce' ), $topic ) );
		}

		$list = array();
		foreach ( self::ours() as $webhook ) {
			$list[] = array(
				'id'            => (int) $webhook->get_id(),
				'topic'         => (string) $webhook->get_topic(),
				'status'        => (string) $webhook->get_status(),
				'delivery_url'  => (string) $webhook->get_delivery_url(),
				'failure_count' => (int) $webhook->get_failure_count(),
			);
		}
		return array(
			'webhooks'  => $list,
			'recreated' => $recreated,
		);
	}

	/**
	 * The periodic check: repair webhooks, then send the heartbeat.
	 *
	 * @return array{ok:bool,recreated:array,message:string,response?:array}
	 */
	public static function check_and_heartbeat() {
		if ( ! SyncFlow_Options::is_connected() ) {
			return array(
				'ok'        => false,
				'recreated' => array(),
				'message'   => __( 'Not connected.', 'syncflow-for-woocommerce' ),
			);
		}
		$health = SyncFlow_Options::health();
		$now    = SyncFlow_Options::now();
		$state  = self::ensure();

		$missed_since = $health['missed_since_gmt'];
		if ( ! empty( $state['recreated'] ) && '' === $missed_since ) {
			// Events may have been lost since the webhooks were last seen healthy.
			$missed_since = $health['last_healthy_gmt'] ? $health['last_healthy_gmt'] : SyncFlow_Options::connection()['connected_at'];
		}
		SyncFlow_Options::update_health(
			array(
				'last_check_gmt'   => $now,
				'last_healthy_gmt' => $now,
				'webhooks'         => $state['webhooks'],
				'missed_since_gmt' => $missed_since,
			)
		);

		$body = array(
			'store_url'      => home_url(),
			'plugin_version' => SYNCFLOW_VERSION,
			'webhooks'       => array_map(
				static function ( $w ) {
					return array(
						'id'           => $w['id'],
						'topic'        => $w['topic'],
						'status'       => $w['status'],
						'delivery_url' => $w['delivery_url'],
					);
				},
				$state['webhooks']
			),
			'recreated'      => $state['recreated'],
			'features'       => SyncFlow_REST_Controller::features(),
		);
		if ( '' !== $health['last_event_gmt'] ) {
			$body['last_event_at'] = SyncFlow_Options::iso( $health['last_event_gmt'] );
		}
		if ( '' !== $missed_since ) {
			$body['missed_since'] = SyncFlow_Options::iso( $missed_since );
		}

		$result = SyncFlow_Hub_Client::signed( '/api/woo/heartbeat', $body );
		if ( is_wp_error( $result ) || 200 !== $result['status'] || empty( $result['body']['ok'] ) ) {
			$message = is_wp_error( $result ) ? $result->get_error_message() : implode( ': ', array_filter( SyncFlow_Hub_Client::error_of( $result ) ) );
			// The hub could not be told: keep (or start) the missed window until a heartbeat gets through.
			SyncFlow_Options::update_health(
				array(
					'last_heartbeat_error' => $message,
					'missed_since_gmt'     => '' !== $missed_since ? $missed_since : $now,
				)
			);
			/* translators: %s: error message */
			SyncFlow_Event_Log::add( 'error', 'heartbeat', sprintf( __( 'Heartbeat failed: %s', 'syncflow-for-woocommerce' ), $message ) );
			return array(
				'ok'        => false,
				'recreated' => $state['recreated'],
				'message'   => $message,
			);
		}
		$changes = array(
			'last_heartbeat_ok_gmt' => $now,
			'last_heartbeat_error'  => '',
			'missed_since_gmt'      => '',
		);
		SyncFlow_Options::update_health( $changes );
		if ( isset( $result['body']['mode'] ) && in_array( $result['body']['mode'], array( 'exact', 'buffered' ), true ) ) {
			SyncFlow_Options::update_connection( array( 'mode' => $result['body']['mode'] ) );
		}
		SyncFlow_Stock_Events::hub_said( isset( $result['body']['stock_events'] ) ? $result['body']['stock_events'] : null );
		if ( SyncFlow_Stock_Events::pending() > 0 ) {
			SyncFlow_Stock_Events::send(); // the periodic safety net: whatever waits goes now
		}
		if ( ! empty( $state['recreated'] ) || '' !== $missed_since ) {
			SyncFlow_Event_Log::add( 'info', 'heartbeat', __( 'Heartbeat sent; the hub was asked to reconcile possibly missed events.', 'syncflow-for-woocommerce' ) );
		}
		return array(
			'ok'        => true,
			'recreated' => $state['recreated'],
			'message'   => __( 'Connection OK.', 'syncflow-for-woocommerce' ),
			'response'  => $result['body'],
		);
	}

	/**
	 * Records the outcome of a delivery of one of SyncFlow's webhooks (woocommerce_webhook_delivery).
	 *
	 * @param array          $http_args  Request args.
	 * @param array|WP_Error $response   Response.
	 * @param float          $duration   Seconds.
	 * @param mixed          $arg        Resource id.
	 * @param int            $webhook_id Webhook id.
	 */
	public static function on_delivery( $http_args, $response, $duration, $arg, $webhook_id ) {
		$webhook    = wc_get_webhook( $webhook_id );
		$connection = SyncFlow_Options::connection();
		$url        = $webhook ? (string) $webhook->get_delivery_url() : '';
		if ( ! $webhook || '' === $connection['hub_url'] || ( 0 !== strpos( $url, $connection['hub_url'] . '/' ) && ! self::is_for_channel( $url, $connection['channel_id'] ) ) ) {
			return;
		}
		$code = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
		if ( $code >= 200 && $code < 300 ) {
			SyncFlow_Options::update_health( array( 'last_event_gmt' => SyncFlow_Options::now() ) );
			return;
		}
		$reason = is_wp_error( $response ) ? $response->get_error_message() : 'HTTP ' . $code;
		/* translators: 1: webhook topic, 2: resource id, 3: reason */
		SyncFlow_Event_Log::add( 'error', 'delivery', sprintf( __( 'Delivery of %1$s for #%2$s failed: %3$s', 'syncflow-for-woocommerce' ), $webhook->get_topic(), is_scalar( $arg ) ? (string) $arg : '?', $reason ) );
		$health = SyncFlow_Options::health();
		if ( '' === $health['missed_since_gmt'] ) {
			SyncFlow_Options::update_health( array( 'missed_since_gmt' => SyncFlow_Options::now() ) );
		}
	}
}
