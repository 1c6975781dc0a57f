<?php
/**
 * HTTP client of the SyncFlow hub API (docs/contracts/hub-api-v1.md).
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Talks to the hub over HTTPS with wp_safe_remote_post(). Signed calls (every call but registration) carry
 * X-SyncFlow-Channel, X-SyncFlow-Timestamp (Unix seconds), X-SyncFlow-Nonce (random, single use) and
 * X-SyncFlow-Signature = base64(HMAC-SHA256("<timestamp>.<nonce>.<raw body>", webhook secret)): the hub refuses
 * a call older than 5 minutes or whose nonce it has seen (docs/contracts/hub-api-v1.md §2, since plugin 1.1.0).
 */
class SyncFlow_Hub_Client {

	/**
	 * Normalises and validates a hub URL typed by the owner.
	 *
	 * @param string $url Raw URL.
	 * @return string|WP_Error The URL without trailing slash.
	 */
	public static function validate_hub_url( $url ) {
		$url    = untrailingslashit( esc_url_raw( trim( (string) $url ), array( 'https', 'http' ) ) );
		$scheme = wp_parse_url( $url, PHP_URL_SCHEME );
		$host   = wp_parse_url( $url, PHP_URL_HOST );
		if ( '' === $url || empty( $host ) ) {
			return new WP_Error( 'syncflow_bad_hub_url', __( 'Enter the SyncFlow hub URL shown in the Shopify app.', 'syncflow-for-woocommerce' ) );
		}
		/**
		 * Whether a plain-http hub URL is accepted. Only for local development and tests.
		 *
		 * @param bool   $allow Default false.
		 * @param string $url   The hub URL.
		 */
		$allow_http = (bool) apply_filters( 'syncflow_allow_insecure_hub_url', false, $url );
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && $allow_http ) ) {
			return new WP_Error( 'syncflow_bad_hub_url', __( 'The hub URL must start with https://.', 'syncflow-for-woocommerce' ) );
		}
		return $url;
	}

	/**
	 * POST /api/woo/register (unsigned, authorised by the one-time code).
	 *
	 * @param string $hub_url Hub base URL.
	 * @param array  $body    Request body.
	 * @return array{status:int,body:array}|WP_Error
	 */
	public static function register( $hub_url, array $body ) {
		return self::post( $hub_url . '/api/woo/register', $body, array(), 60 );
	}

	/**
	 * A signed call (heartbeat, disconnect, stock events). A 410 answer means the hub disconnected this store on its
	 * side; the plugin then disconnects too at the end of the request (SyncFlow_Connection::hub_said_gone).
	 *
	 * @param string $path e.g. '/api/woo/heartbeat'.
	 * @param array  $body Request body.
	 * @return array{status:int,body:array}|WP_Error
	 */
	public static function signed( $path, array $body ) {
		$connection = SyncFlow_Options::connection();
		$secret     = SyncFlow_Options::webhook_secret();
		if ( '' === $connection['hub_url'] || '' === $secret ) {
			return new WP_Error( 'syncflow_not_connected', __( 'This store is not connected to SyncFlow.', 'syncflow-for-woocommerce' ) );
		}
		$raw    = wp_json_encode( $body );
		$result = self::post( $connection['hub_url'] . $path, $raw, self::signature_headers( $connection['channel_id'], $raw, $secret ), 20 );
		if ( ! is_wp_error( $result ) && 410 === $result['status'] && '/api/woo/disconnect' !== $path ) {
			// 410 store_disconnected: the hub revoked this store's secret; tear the connection down here too.
			SyncFlow_Connection::hub_said_gone( $connection['channel_id'] );
		}
		return $result;
	}

	/**
	 * Headers of a signed call: channel, timestamp, nonce and the signature over all three with the body.
	 * Every signed call goes through here (heartbeat, disconnect, and any later one), so they all carry replay
	 * protection.
	 *
	 * @param string $channel_id Channel id the hub gave at registration.
	 * @param string $raw        Raw JSON body, exactly as sent.
	 * @param string $secret     The store's webhook secret.
	 * @param int    $timestamp  Unix seconds (default now).
	 * @return array<string,string>
	 */
	public static function signature_headers( $channel_id, $raw, $secret, $timestamp = 0 ) {
		$timestamp = $timestamp > 0 ? (int) $timestamp : time();
		$nonce     = bin2hex( random_bytes( 16 ) );
		return array(
			'X-SyncFlow-Channel'   => (string) $channel_id,
			'X-SyncFlow-Timestamp' => (string) $timestamp,
			'X-SyncFlow-Nonce'     => $nonce,
			'X-SyncFlow-Signature' => self::sign( $timestamp . '.' . $nonce . '.' . $raw, $secret ),
		);
	}

	/**
	 * base64(HMAC-SHA256(message, secret)).
	 *
	 * @param string $raw    The signed message ("<timestamp>.<nonce>.<raw body>" for signed calls).
	 * @param string $secret Secret.
	 * @return string
	 */
	public static function sign( $raw, $secret ) {
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode -- HMAC signature encoding required by the hub API.
		return base64_encode( hash_hmac( 'sha256', $raw, $secret, true ) );
	}

	/**
	 * JSON POST.
	 *
	 * @param string       $url     Absolute URL.
	 * @param array|string $body    Body (array = JSON-encoded here).
	 * @param array        $headers Extra headers.
	 * @param int          $timeout Seconds.
	 * @return array{status:int,body:array,headers:array}|WP_Error
	 */
	private static function post( $url, $body, array $headers, $timeout ) {
		$response = wp_safe_remote_post(
			$url,
			array(
				'timeout'     => $timeout,
				'redirection' => 0,
				'headers'     => array_merge(
					array(
						'Content-Type' => 'application/json',
						'Accept'       => 'application/json',
						'User-Agent'   => 'SyncFlow-for-WooCommerce/' . SYNCFLOW_VERSION . '; ' . home_url( '/' ),
					),
					$headers
				),
				'body'        => is_string( $body ) ? $body : wp_json_encode( $body ),
			)
		);
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$decoded = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		return array(
			'status'  => (int) wp_remote_retrieve_response_code( $response ),
			'body'    => is_array( $decoded ) ? $decoded : array(),
			'headers' => array( 'retry-after' => (string) wp_remote_retrieve_header( $response, 'retry-after' ) ),
		);
	}

	/**
	 * The error code and message of a hub answer, for display.
	 *
	 * @param array $result Result of post().
	 * @return array{0:string,1:string}
	 */
	public static function error_of( array $result ) {
		$code    = isset( $result['body']['error']['code'] ) ? sanitize_key( $result['body']['error']['code'] ) : 'http_' . (int) $result['status'];
		$message = isset( $result['body']['error']['message'] ) ? sanitize_text_field( $result['body']['error']['message'] ) : '';
		return array( $code, $message );
	}
}
