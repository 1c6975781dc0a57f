<?php
/**
 * Admin UI: the "SyncFlow" tab of WooCommerce > Settings (Connection and Status sections) and its actions.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Every action is an admin-post.php handler guarded by its own nonce and manage_woocommerce.
 * The tab renders inside WooCommerce's settings form, so buttons use formaction="admin-post.php".
 */
class SyncFlow_Admin {

	const TAB     = 'syncflow';
	const ACTIONS = array( 'syncflow_connect', 'syncflow_disconnect', 'syncflow_test', 'syncflow_check_now' );

	/**
	 * Hooks.
	 */
	public static function init() {
		add_filter( 'woocommerce_settings_tabs_array', array( __CLASS__, 'add_tab' ), 50 );
		add_action( 'woocommerce_sections_' . self::TAB, array( __CLASS__, 'output_sections' ) );
		add_action( 'woocommerce_settings_' . self::TAB, array( __CLASS__, 'output' ) );
		foreach ( self::ACTIONS as $action ) {
			add_action( 'admin_post_' . $action, array( __CLASS__, 'handle_' . substr( $action, 9 ) ) );
		}
		add_filter( 'plugin_action_links_' . plugin_basename( SYNCFLOW_PLUGIN_FILE ), array( __CLASS__, 'action_links' ) );
	}

	/**
	 * URL of the tab.
	 *
	 * @param string $section '' or 'status'.
	 * @return string
	 */
	public static function url( $section = '' ) {
		$args = array(
			'page' => 'wc-settings',
			'tab'  => self::TAB,
		);
		if ( '' !== $section ) {
			$args['section'] = $section;
		}
		return add_query_arg( $args, admin_url( 'admin.php' ) );
	}

	/**
	 * Adds the tab.
	 *
	 * @param array $tabs Tabs.
	 * @return array
	 */
	public static function add_tab( $tabs ) {
		$tabs[ self::TAB ] = __( 'SyncFlow', 'syncflow-for-woocommerce' );
		return $tabs;
	}

	/**
	 * Plugins screen link.
	 *
	 * @param array $links Links.
	 * @return array
	 */
	public static function action_links( $links ) {
		array_unshift( $links, '<a href="' . esc_url( self::url() ) . '">' . esc_html__( 'Settings', 'syncflow-for-woocommerce' ) . '</a>' );
		return $links;
	}

	/**
	 * Section links.
	 */
	public static function output_sections() {
		$current = self::current_section();
		$items   = array(
			''       => __( 'Connection', 'syncflow-for-woocommerce' ),
			'status' => __( 'Status', 'syncflow-for-woocommerce' ),
		);
		echo '<ul class="subsubsub">';
		$i = 0;
		foreach ( $items as $id => $label ) {
			echo '<li><a href="' . esc_url( self::url( $id ) ) . '" class="' . ( $current === $id ? 'current' : '' ) . '">' . esc_html( $label ) . '</a>' . ( ++$i < count( $items ) ? ' | ' : '' ) . '</li>';
		}
		echo '</ul><br class="clear" />';
	}

	/**
	 * The current section.
	 *
	 * @return string
	 */
	private static function current_section() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- navigation only.
		$section = isset( $_GET['section'] ) ? sanitize_key( wp_unslash( $_GET['section'] ) ) : '';
		return 'status' === $section ? 'status' : '';
	}

	/**
	 * Tab content.
	 */
	public static function output() {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			return;
		}
		$GLOBALS['hide_save_button'] = true; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited -- WooCommerce settings API flag.
		self::output_notice();
		if ( 'status' === self::current_section() ) {
			self::output_status();
		} else {
			self::output_connection();
		}
	}

	/**
	 * Shows (once) the result of the last action of this user.
	 */
	private static function output_notice() {
		$key    = 'syncflow_notice_' . get_current_user_id();
		$notice = get_transient( $key );
		if ( ! is_array( $notice ) ) {
			return;
		}
		delete_transient( $key );
		$class = ! empty( $notice['ok'] ) ? 'notice-success' : 'notice-error';
		echo '<div id="syncflow-notice" class="notice ' . esc_attr( $class ) . ' inline"><p>' . esc_html( $notice['message'] ) . '</p></div>';
	}

	/**
	 * A submit button that posts the settings form to admin-post.php with its own action and nonce.
	 *
	 * @param string $action  Action name.
	 * @param string $label   Label.
	 * @param string $class   CSS class.
	 * @param bool   $novalidate Skip HTML5 validation of the form.
	 */
	private static function action_button( $action, $label, $class = 'button', $novalidate = true ) {
		wp_nonce_field( $action, '_' . $action . '_nonce', false );
		printf(
			'<button type="submit" class="%1$s" id="%2$s" name="action" value="%2$s" formaction="%3$s" formmethod="post"%4$s>%5$s</button> ',
			esc_attr( $class ),
			esc_attr( $action ),
			esc_url( admin_url( 'admin-post.php' ) ),
			$novalidate ? ' formnovalidate' : '',
			esc_html( $label )
		);
	}

	/**
	 * Connection section.
	 */
	private static function output_connection() {
		$c         = SyncFlow_Options::connection();
		$connected = SyncFlow_Options::is_connected();
		echo '<h2>' . esc_html__( 'SyncFlow connection', 'syncflow-for-woocommerce' ) . '</h2>';
		if ( $connected ) {
			echo '<p id="syncflow-state" data-state="connected">';
			/* translators: %s: Shopify shop name */
			echo esc_html( sprintf( __( 'Connected to %s.', 'syncflow-for-woocommerce' ), SyncFlow_Connection::connection_label() ) );
			echo '</p><table class="form-table" role="presentation"><tbody>';
			self::row( __( 'Hub URL', 'syncflow-for-woocommerce' ), $c['hub_url'] );
			self::row( __( 'Channel', 'syncflow-for-woocommerce' ), $c['channel_id'] );
			self::row( __( 'Mode', 'syncflow-for-woocommerce' ), self::mode_label( $c['mode'] ) );
			self::row( __( 'Connected since', 'syncflow-for-woocommerce' ), $c['connected_at'] );
			self::row( __( 'API key', 'syncflow-for-woocommerce' ), $c['key_id'] ? __( 'SyncFlow key (read/write) — secret not shown', 'syncflow-for-woocommerce' ) : '—' );
			echo '</tbody></table><p>';
			self::action_button( 'syncflow_test', __( 'Test connection', 'syncflow-for-woocommerce' ), 'button button-primary' );
			self::action_button( 'syncflow_disconnect', __( 'Disconnect', 'syncflow-for-woocommerce' ), 'button button-link-delete' );
			echo '</p><h3>' . esc_html__( 'Reconnect', 'syncflow-for-woocommerce' ) . '</h3>';
			echo '<p>' . esc_html__( 'To connect again (for example to another Shopify store), create a new connection code in the SyncFlow Shopify app. The current key is revoked once the new connection succeeds.', 'syncflow-for-woocommerce' ) . '</p>';
		} else {
			if ( '' !== $c['disconnected_by_hub_gmt'] ) {
				echo '<div id="syncflow-hub-disconnected" class="notice notice-warning inline"><p>';
				/* translators: %s: date and time (UTC) */
				echo esc_html( sprintf( __( 'SyncFlow disconnected this store on %s (UTC): the store was removed in the SyncFlow app or the app was uninstalled. Its webhooks and API key were removed here too; stock is no longer synced.', 'syncflow-for-woocommerce' ), $c['disconnected_by_hub_gmt'] ) );
				echo '</p></div>';
			}
			echo '<p id="syncflow-state" data-state="disconnected">' . esc_html__( 'Not connected. In the SyncFlow app in Shopify admin, open Channels > WooCommerce, create a connection code and paste it here with the hub URL.', 'syncflow-for-woocommerce' ) . '</p>';
		}
		echo '<table class="form-table" role="presentation"><tbody>';
		echo '<tr><th scope="row"><label for="syncflow_hub_url">' . esc_html__( 'Hub URL', 'syncflow-for-woocommerce' ) . '</label></th><td>';
		echo '<input type="url" class="regular-text" id="syncflow_hub_url" name="syncflow_hub_url" value="' . esc_attr( $c['hub_url'] ) . '" placeholder="https://app.syncflow.example" autocomplete="off" /></td></tr>';
		echo '<tr><th scope="row"><label for="syncflow_code">' . esc_html__( 'Connection code', 'syncflow-for-woocommerce' ) . '</label></th><td>';
		echo '<input type="password" class="regular-text" id="syncflow_code" name="syncflow_code" value="" placeholder="SF-XXXX-…" autocomplete="off" />';
		echo '<p class="description">' . esc_html__( 'Single use, valid 15 minutes. SyncFlow receives a new read/write WooCommerce REST API key for this store.', 'syncflow-for-woocommerce' ) . '</p></td></tr>';
		echo '</tbody></table><p>';
		self::action_button( 'syncflow_connect', $connected ? __( 'Reconnect', 'syncflow-for-woocommerce' ) : __( 'Connect', 'syncflow-for-woocommerce' ), 'button button-primary', false );
		echo '</p>';
	}

	/**
	 * Status section.
	 */
	private static function output_status() {
		$c         = SyncFlow_Options::connection();
		$h         = SyncFlow_Options::health();
		$connected = SyncFlow_Options::is_connected();
		$last_sync = max( (string) get_option( SyncFlow_Options::LAST_SYNC, '' ), (string) $h['last_heartbeat_ok_gmt'] );

		echo '<h2>' . esc_html__( 'SyncFlow status', 'syncflow-for-woocommerce' ) . '</h2>';
		echo '<table class="form-table" role="presentation" id="syncflow-status"><tbody>';
		self::row( __( 'Connection', 'syncflow-for-woocommerce' ), $connected ? sprintf( /* translators: %s: shop */ __( 'Connected to %s', 'syncflow-for-woocommerce' ), SyncFlow_Connection::connection_label() ) : __( 'Not connected', 'syncflow-for-woocommerce' ) );
		self::row( __( 'Mode', 'syncflow-for-woocommerce' ), $connected ? self::mode_label( $c['mode'] ) : '—' );
		self::row( __( 'Last successful sync', 'syncflow-for-woocommerce' ), '' !== $last_sync ? $last_sync : __( 'Never', 'syncflow-for-woocommerce' ) );
		self::row( __( 'Last heartbeat', 'syncflow-for-woocommerce' ), '' !== $h['last_heartbeat_ok_gmt'] ? $h['last_heartbeat_ok_gmt'] : __( 'Never', 'syncflow-for-woocommerce' ) );
		if ( '' !== $h['last_heartbeat_error'] ) {
			self::row( __( 'Last heartbeat error', 'syncflow-for-woocommerce' ), $h['last_heartbeat_error'] );
		}
		if ( '' !== $h['missed_since_gmt'] ) {
			self::row( __( 'Events possibly missed since', 'syncflow-for-woocommerce' ), $h['missed_since_gmt'] . ' — ' . __( 'the hub reconciles after the next successful heartbeat', 'syncflow-for-woocommerce' ) );
		}
		echo '</tbody></table>';

		echo '<h3>' . esc_html__( 'Webhook health', 'syncflow-for-woocommerce' ) . '</h3>';
		echo '<table class="widefat striped" id="syncflow-webhooks"><thead><tr><th>' . esc_html__( 'Topic', 'syncflow-for-woocommerce' ) . '</th><th>' . esc_html__( 'Status', 'syncflow-for-woocommerce' ) . '</th><th>' . esc_html__( 'Consecutive failures', 'syncflow-for-woocommerce' ) . '</th><th>' . esc_html__( 'Delivery URL', 'syncflow-for-woocommerce' ) . '</th></tr></thead><tbody>';
		$webhooks = $connected ? SyncFlow_Webhooks::ours() : array();
		if ( empty( $webhooks ) ) {
			echo '<tr><td colspan="4">' . esc_html__( 'No SyncFlow webhooks.', 'syncflow-for-woocommerce' ) . '</td></tr>';
		}
		foreach ( $webhooks as $webhook ) {
			echo '<tr><td>' . esc_html( $webhook->get_topic() ) . '</td><td>' . esc_html( $webhook->get_status() ) . '</td><td>' . esc_html( (string) $webhook->get_failure_count() ) . '</td><td><code>' . esc_html( $webhook->get_delivery_url() ) . '</code></td></tr>';
		}
		echo '</tbody></table>';

		echo '<h3>' . esc_html__( 'Recent events', 'syncflow-for-woocommerce' ) . '</h3>';
		echo '<table class="widefat striped" id="syncflow-events"><thead><tr><th>' . esc_html__( 'Time (UTC)', 'syncflow-for-woocommerce' ) . '</th><th>' . esc_html__( 'Level', 'syncflow-for-woocommerce' ) . '</th><th>' . esc_html__( 'Event', 'syncflow-for-woocommerce' ) . '</th><th>' . esc_html__( 'Message', 'syncflow-for-woocommerce' ) . '</th></tr></thead><tbody>';
		$events = array_slice( SyncFlow_Event_Log::all(), 0, 20 );
		if ( empty( $events ) ) {
			echo '<tr><td colspan="4">' . esc_html__( 'No events yet.', 'syncflow-for-woocommerce' ) . '</td></tr>';
		}
		foreach ( $events as $event ) {
			$style = 'error' === $event['level'] ? ' style="color:#b32d2e"' : '';
			echo '<tr class="syncflow-event-' . esc_attr( $event['level'] ) . '"><td>' . esc_html( $event['time'] ) . '</td><td' . $style . '>' . esc_html( $event['level'] ) . '</td><td>' . esc_html( $event['type'] ) . '</td><td>' . esc_html( $event['message'] ) . '</td></tr>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- $style is a constant string.
		}
		echo '</tbody></table><p>';
		if ( $connected ) {
			self::action_button( 'syncflow_test', __( 'Test connection', 'syncflow-for-woocommerce' ), 'button button-primary' );
			self::action_button( 'syncflow_check_now', __( 'Check webhooks now', 'syncflow-for-woocommerce' ) );
		}
		echo '<a class="button" href="' . esc_url( self::url() ) . '">' . esc_html( $connected ? __( 'Reconnect', 'syncflow-for-woocommerce' ) : __( 'Connect', 'syncflow-for-woocommerce' ) ) . '</a></p>';
	}

	/**
	 * One escaped form-table row.
	 *
	 * @param string $label Label.
	 * @param string $value Value.
	 */
	private static function row( $label, $value ) {
		echo '<tr><th scope="row">' . esc_html( $label ) . '</th><td>' . esc_html( '' !== (string) $value ? (string) $value : '—' ) . '</td></tr>';
	}

	/**
	 * Label of a mode.
	 *
	 * @param string $mode 'exact' | 'buffered'.
	 * @return string
	 */
	private static function mode_label( $mode ) {
		return 'exact' === $mode
			? __( 'Exact (atomic stock updates through this plugin)', 'syncflow-for-woocommerce' )
			: __( 'Buffered (absolute stock updates with a safety buffer)', 'syncflow-for-woocommerce' );
	}

	/**
	 * Common guard of every action: capability, then the action's nonce (dies with 403 on failure).
	 *
	 * @param string $action Action name.
	 */
	private static function guard( $action ) {
		if ( ! current_user_can( 'manage_woocommerce' ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage SyncFlow.', 'syncflow-for-woocommerce' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $action, '_' . $action . '_nonce' );
	}

	/**
	 * Stores the outcome for the next page view and redirects back.
	 *
	 * @param array  $result  {ok, message}.
	 * @param string $section Section to return to.
	 */
	private static function finish( array $result, $section = '' ) {
		set_transient(
			'syncflow_notice_' . get_current_user_id(),
			array(
				'ok'      => ! empty( $result['ok'] ),
				'message' => (string) $result['message'],
			),
			5 * MINUTE_IN_SECONDS
		);
		wp_safe_redirect( add_query_arg( 'syncflow_result', ! empty( $result['ok'] ) ? 'ok' : 'error', self::url( $section ) ) );
		exit;
	}

	/**
	 * admin-post: connect (or reconnect) with hub URL + one-time code.
	 */
	public static function handle_connect() {
		self::guard( 'syncflow_connect' );
		$hub_url = isset( $_POST['syncflow_hub_url'] ) ? sanitize_text_field( wp_unslash( $_POST['syncflow_hub_url'] ) ) : '';
		$code    = isset( $_POST['syncflow_code'] ) ? sanitize_text_field( wp_unslash( $_POST['syncflow_code'] ) ) : '';
		self::finish( SyncFlow_Connection::connect( $hub_url, $code, get_current_user_id() ) );
	}

	/**
	 * admin-post: disconnect.
	 */
	public static function handle_disconnect() {
		self::guard( 'syncflow_disconnect' );
		self::finish( SyncFlow_Connection::disconnect( 'merchant' ) );
	}

	/**
	 * admin-post: test the connection (runs the check and a heartbeat now).
	 */
	public static function handle_test() {
		self::guard( 'syncflow_test' );
		$r = SyncFlow_Webhooks::check_and_heartbeat();
		self::finish( $r, 'status' );
	}

	/**
	 * admin-post: run the webhook check now.
	 */
	public static function handle_check_now() {
		self::guard( 'syncflow_check_now' );
		$r = SyncFlow_Webhooks::check_and_heartbeat();
		if ( $r['ok'] ) {
			/* translators: %d: number of repaired webhooks */
			$r['message'] = sprintf( __( 'Webhooks checked; %d repaired.', 'syncflow-for-woocommerce' ), count( $r['recreated'] ) );
		}
		self::finish( $r, 'status' );
	}
}
