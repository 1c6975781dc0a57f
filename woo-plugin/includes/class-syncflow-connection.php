<?php
/**
 * Connect / disconnect flow with the SyncFlow hub.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Connection lifecycle. Connect: create a read/write WooCommerce key, send it with the store URL and the
 * one-time code to the hub's registration API, keep the webhook secret. Disconnect: tell the hub, delete
 * SyncFlow's webhooks, revoke the key, stop the scheduled actions.
 */
class SyncFlow_Connection {

	/**
	 * Connects with a one-time code.
	 *
	 * @param string $hub_url Hub URL typed by the owner.
	 * @param string $code    Connection code shown in the Shopify app.
	 * @param int    $user_id Owner of the new key.
	 * @return array{ok:bool,message:string,code?:string}
	 */
	public static function connect( $hub_url, $code, $user_id ) {
		$hub_url = SyncFlow_Hub_Client::validate_hub_url( $hub_url );
		if ( is_wp_error( $hub_url ) ) {
			return self::fail( $hub_url->get_error_code(), $hub_url->get_error_message() );
		}
		$code = strtoupper( preg_replace( '/\s+/', '', (string) $code ) );
		if ( '' === $code || strlen( $code ) > 200 || ! preg_match( '/^[A-Z0-9_-]+$/', $code ) ) {
			return self::fail( 'syncflow_bad_code', __( 'Paste the connection code shown in the SyncFlow Shopify app.', 'syncflow-for-woocommerce' ) );
		}

		$key = SyncFlow_Api_Keys::create( $user_id );
		if ( is_wp_error( $key ) ) {
			return self::fail( $key->get_error_code(), $key->get_error_message() );
		}
		$result = SyncFlow_Hub_Client::register(
			$hub_url,
			array(
				'code'            => $code,
				'store_url'       => home_url(),
				'consumer_key'    => $key['consumer_key'],
				'consumer_secret' => $key['consumer_secret'],
				'plugin_version'  => SYNCFLOW_VERSION,
				'store_name'      => wp_specialchars_decode( get_bloginfo( 'name' ), ENT_QUOTES ),
			)
		);

		if ( is_wp_error( $result ) ) {
			SyncFlow_Api_Keys::revoke( $key['key_id'] );
			/* translators: %s: error message */
			$message = sprintf( __( 'Could not reach the SyncFlow hub: %s', 'syncflow-for-woocommerce' ), $result->get_error_message() );
			SyncFlow_Event_Log::add( 'error', 'connect', $message );
			return self::fail( 'hub_unreachable', $message );
		}
		$body = $result['body'];
		if ( 201 !== $result['status'] || empty( $body['ok'] ) || empty( $body['channel_id'] ) || empty( $body['webhook_secret'] ) ) {
			SyncFlow_Api_Keys::revoke( $key['key_id'] );
			list( $error_code ) = SyncFlow_Hub_Client::error_of( $result );
			$message            = self::message_for( $error_code, $result );
			SyncFlow_Event_Log::add( 'error', 'connect', $message );
			return self::fail( $error_code, $message );
		}

		self::store_connection(
			array(
				'hub_url'     => $hub_url,
				'channel_id'  => sanitize_text_field( (string) $body['channel_id'] ),
				'shop_domain' => isset( $body['shop_domain'] ) ? sanitize_text_field( (string) $body['shop_domain'] ) : '',
				'shop_name'   => isset( $body['shop_name'] ) ? sanitize_text_field( (string) $body['shop_name'] ) : '',
				'mode'        => ( isset( $body['mode'] ) && 'exact' === $body['mode'] ) ? 'exact' : 'buffered',
				'key_id'      => $key['key_id'],
				'key_user_id' => (int) $user_id,
			),
			(string) $body['webhook_secret'],
			'code',
			isset( $body['stock_events'] ) && is_bool( $body['stock_events'] ) ? $body['stock_events'] : null
		);
		/* translators: %s: Shopify shop name */
		$message = sprintf( __( 'Connected to %s.', 'syncflow-for-woocommerce' ), self::connection_label() );
		if ( isset( $body['linked'] ) ) {
			/* translators: %d: number of products linked by SKU */
			$message .= ' ' . sprintf( _n( '%d product linked by SKU.', '%d products linked by SKU.', (int) $body['linked'], 'syncflow-for-woocommerce' ), (int) $body['linked'] );
		}
		return array(
			'ok'      => true,
			'message' => $message,
		);
	}

	/**
	 * Stores a new connection (from the code flow or the wc-auth flow); replaces a previous one.
	 *
	 * @param array     $connection   Connection fields.
	 * @param string    $secret       Webhook secret.
	 * @param string    $via          'code' | 'wc-auth'.
	 * @param bool|null $stock_events The hub's `stock_events` answer (null: not said; the next heartbeat tells).
	 */
	public static function store_connection( array $connection, $secret, $via, $stock_events = null ) {
		$previous = SyncFlow_Options::connection();
		if ( 'connected' === $previous['status'] ) {
			if ( (int) $previous['key_id'] > 0 && (int) $previous['key_id'] !== (int) $connection['key_id'] ) {
				SyncFlow_Api_Keys::revoke( (int) $previous['key_id'] );
			}
			if ( $previous['hub_url'] !== $connection['hub_url'] || $previous['channel_id'] !== $connection['channel_id'] ) {
				SyncFlow_Webhooks::delete_all( $previous['hub_url'] );
			}
		}
		SyncFlow_Options::set_webhook_secret( $secret );
		SyncFlow_Options::update_connection(
			array_merge(
				$connection,
				array(
					'status'                  => 'connected',
					'connected_at'            => SyncFlow_Options::now(),
					'disconnected_by_hub_gmt' => '',
				)
			)
		);
		SyncFlow_Options::update_health(
			array(
				'last_healthy_gmt'     => SyncFlow_Options::now(),
				'missed_since_gmt'     => '',
				'last_heartbeat_error' => '',
			)
		);
		SyncFlow_Stock_Events::on_connect( $stock_events );
		SyncFlow_Scheduler::schedule();
		/* translators: 1: shop, 2: flow name */
		SyncFlow_Event_Log::add( 'info', 'connect', sprintf( __( 'Connected to %1$s (%2$s).', 'syncflow-for-woocommerce' ), self::connection_label(), $via ) );
	}

	/**
	 * Disconnects: tells the hub, deletes SyncFlow's webhooks, revokes the key, unschedules actions.
	 * With $reason 'hub' the hub itself already disconnected the store (it answered a signed call with 410
	 * `store_disconnected`, docs/contracts/hub-api-v1.md): the same local teardown without calling the hub back, and the
	 * settings tab then says so.
	 *
	 * @param string $reason Reason sent to the hub ('merchant', 'deactivate', …), or 'hub'.
	 * @return array{ok:bool,message:string,hub_notified:bool}
	 */
	public static function disconnect( $reason = 'merchant' ) {
		$connection = SyncFlow_Options::connection();
		$notified   = false;
		if ( SyncFlow_Options::is_connected() && 'hub' !== $reason ) {
			$result   = SyncFlow_Hub_Client::signed(
				'/api/woo/disconnect',
				array(
					'store_url' => home_url(),
					'reason'    => sanitize_key( $reason ),
				)
			);
			$notified = ! is_wp_error( $result ) && 200 === $result['status'];
			if ( ! $notified ) {
				SyncFlow_Event_Log::add( 'warning', 'disconnect', __( 'The hub could not be told about the disconnection; it will notice its key no longer works.', 'syncflow-for-woocommerce' ) );
			}
		}
		if ( '' !== $connection['hub_url'] ) {
			SyncFlow_Webhooks::delete_all( $connection['hub_url'] );
		}
		SyncFlow_Api_Keys::revoke( (int) $connection['key_id'] );
		SyncFlow_Scheduler::unschedule_connection_actions();
		SyncFlow_Stock_Events::clear();
		delete_option( SyncFlow_Stock_Events::OPTION );
		delete_option( SyncFlow_Options::WEBHOOK_SECRET );
		SyncFlow_Options::update_connection(
			array(
				'status'     => 'disconnected',
				'key_id'     => 0,
				'channel_id' => '',
			)
		);
		if ( 'hub' === $reason ) {
			SyncFlow_Options::update_connection( array( 'disconnected_by_hub_gmt' => SyncFlow_Options::now() ) );
			SyncFlow_Event_Log::add( 'warning', 'disconnect', __( 'SyncFlow disconnected this store on its side (410): its webhooks, API key and pending stock reports were removed. Create a new connection code to sync again.', 'syncflow-for-woocommerce' ) );
		} else {
			SyncFlow_Event_Log::add( 'info', 'disconnect', __( 'Disconnected from SyncFlow.', 'syncflow-for-woocommerce' ) );
		}
		return array(
			'ok'           => true,
			'message'      => $notified ? __( 'Disconnected. The SyncFlow hub was notified.', 'syncflow-for-woocommerce' ) : __( 'Disconnected locally (the hub could not be reached).', 'syncflow-for-woocommerce' ),
			'hub_notified' => $notified,
		);
	}

	/**
	 * The hub answered a signed call with 410: it no longer knows this store's secret (the merchant removed the store
	 * in the SyncFlow app, or the app was uninstalled). Runs once, at the end of the request, so the call in progress
	 * (a heartbeat, a stock events batch) finishes its own bookkeeping before the teardown unschedules everything.
	 *
	 * @param string $channel_id The channel the refused call was signed for (ignored if the store reconnected since).
	 */
	public static function hub_said_gone( $channel_id ) {
		static $queued = false;
		if ( $queued ) {
			return;
		}
		$queued = true;
		add_action(
			'shutdown',
			static function () use ( $channel_id ) {
				$c = SyncFlow_Options::connection();
				if ( 'connected' === $c['status'] && (string) $c['channel_id'] === (string) $channel_id ) {
					self::disconnect( 'hub' );
				}
			}
		);
	}

	/**
	 * "Shop name (domain)" of the current connection.
	 *
	 * @return string
	 */
	public static function connection_label() {
		$c = SyncFlow_Options::connection();
		$n = '' !== $c['shop_name'] ? $c['shop_name'] : __( 'SyncFlow', 'syncflow-for-woocommerce' );
		return '' !== $c['shop_domain'] ? $n . ' (' . $c['shop_domain'] . ')' : $n;
	}

	/**
	 * Failure result.
	 *
	 * @param string $code    Code.
	 * @param string $message Message.
	 * @return array
	 */
	private static function fail( $code, $message ) {
		return array(
			'ok'      => false,
			'code'    => $code,
			'message' => $message,
		);
	}

	/**
	 * Owner-facing message for a hub registration error.
	 *
	 * @param string $code   Hub error code.
	 * @param array  $result Hub answer.
	 * @return string
	 */
	private static function message_for( $code, array $result ) {
		switch ( $code ) {
			case 'invalid_code':
				return __( 'The connection code is invalid, expired or already used. Create a new one in the SyncFlow Shopify app.', 'syncflow-for-woocommerce' );
			case 'store_rejected_keys':
				return __( 'The hub could not use the API key it was given. Check that the WooCommerce REST API is reachable, then try again.', 'syncflow-for-woocommerce' );
			case 'store_unreachable':
				return __( 'The hub could not reach this store. Check that the site is publicly reachable over HTTPS.', 'syncflow-for-woocommerce' );
			case 'plan_limit':
				// The shop's SyncFlow plan has no room for another sales channel (HTTP 402): the hub's message names the
				// plan and the Plan page to upgrade on (docs/contracts/hub-api-v1.md §1, docs/decisions/171).
				$hub = isset( $result['body']['error']['message'] ) ? sanitize_text_field( (string) $result['body']['error']['message'] ) : '';
				return '' !== $hub ? $hub : __( 'The SyncFlow plan of this shop has no room for another sales channel. Upgrade it on the Plan page of the SyncFlow app in Shopify, then connect again with the same code.', 'syncflow-for-woocommerce' );
			case 'rate_limited':
				/* translators: %d: seconds */
				return sprintf( __( 'Too many attempts. Try again in %d seconds.', 'syncflow-for-woocommerce' ), max( 1, (int) $result['headers']['retry-after'] ) );
			default:
				/* translators: 1: HTTP status, 2: error code */
				return sprintf( __( 'The hub refused the connection (HTTP %1$d, %2$s).', 'syncflow-for-woocommerce' ), (int) $result['status'], $code );
		}
	}
}
