<?php
/**
 * Stock events: every stock change WooCommerce makes, with its cause, reported to the SyncFlow hub
 * (docs/contracts/hub-api-v1.md §2 "stock events"; hub decisions 130–132).
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Captures each change of a managed stock quantity into a durable outbox table and sends the outbox to the hub in
 * signed batches through Action Scheduler (group "syncflow"), retried with backoff until the hub answers.
 *
 * Capture (while connected in exact mode, unless the hub said it does not want events):
 * - every change goes through `woocommerce_{product|variation}_before_set_stock` (the quantity is read from the
 *   database then) and `woocommerce_{product|variation}_set_stock` (read again): wc_update_product_stock() and a
 *   product save both fire them (includes/wc-stock-functions.php, data-stores/class-wc-product-data-store-cpt.php).
 *   The event row is written at once, inside the caller's transaction when there is one, so a change rolled back is
 *   never reported;
 * - WooCommerce's order hooks then name the order and line (and correct before/after with WooCommerce's own numbers):
 *   `woocommerce_reduce_order_item_stock` (order_reduced), `woocommerce_restore_order_item_stock` (order_restocked:
 *   → cancelled / → pending), `woocommerce_restock_refunded_item` (refund_restocked, the line found through the
 *   refund's `line_items`, `woocommerce_create_refund`), `woocommerce_prevent_adjust_line_item_product_stock`
 *   (order_adjusted: a line edited in wp-admin). Each order event carries the line's `_reduced_stock` after it;
 * - otherwise the cause comes from where the change happened: the plugin's own stock endpoints or a REST request
 *   with SyncFlow's key (hub_write — the hub's echo), a product import (import), another REST client with a
 *   WooCommerce key (rest_api), wp-admin (admin_edit), anything else (other: another plugin, WP-CLI, cron).
 * Sending starts once the hub answered `stock_events: true` (registration or heartbeat).
 */
class SyncFlow_Stock_Events {

	const TABLE      = 'syncflow_stock_events';
	const OPTION     = 'syncflow_stock_events';
	const SEND_HOOK  = 'syncflow_send_stock_events';
	const BATCH      = 100;
	const MAX_BYTES  = 900000; // per call: the hub caps batched plugin reports at 1 MB (app/lib/body-limits.ts)
	const RETENTION  = 14; // Days an unsent event is kept (the hub reconciles long before).
	const ORDER_KIND = array( 'order_reduced', 'order_restocked', 'refund_restocked', 'order_adjusted' );

	/**
	 * Quantity of each stock holder before the change in progress (product id => units, null = no stock row yet).
	 *
	 * @var array<int,int|null>
	 */
	private static $before = array();

	/**
	 * Event rows written in this request, newest last: outbox id => [holder id, cause].
	 *
	 * @var array<int,array{0:int,1:string}>
	 */
	private static $written = array();

	/**
	 * Cause set by the code making the change (the plugin's own writes, an import, an order line edit).
	 *
	 * @var array|null
	 */
	private static $context = null;

	/**
	 * The refund being created: [refund object, line items by item id, item ids already matched].
	 *
	 * @var array|null
	 */
	private static $refund = null;

	/**
	 * Whether this request already scheduled a send.
	 *
	 * @var bool
	 */
	private static $scheduled = false;

	/**
	 * Hooks (plugins_loaded, WooCommerce active).
	 */
	public static function init() {
		add_action( 'woocommerce_product_before_set_stock', array( __CLASS__, 'before' ) );
		add_action( 'woocommerce_variation_before_set_stock', array( __CLASS__, 'before' ) );
		add_action( 'woocommerce_product_set_stock', array( __CLASS__, 'after' ) );
		add_action( 'woocommerce_variation_set_stock', array( __CLASS__, 'after' ) );
		add_action( 'woocommerce_reduce_order_item_stock', array( __CLASS__, 'order_reduced' ), 10, 3 );
		add_action( 'woocommerce_restore_order_item_stock', array( __CLASS__, 'order_restocked' ), 10, 4 );
		add_action( 'woocommerce_create_refund', array( __CLASS__, 'refund_started' ), 10, 2 );
		add_action( 'woocommerce_restock_refunded_item', array( __CLASS__, 'refund_restocked' ), 10, 5 );
		add_filter( 'woocommerce_prevent_adjust_line_item_product_stock', array( __CLASS__, 'line_adjusting' ), 1000, 3 );
		add_action( 'woocommerce_product_import_before_process_item', array( __CLASS__, 'importing' ) );
		add_action( self::SEND_HOOK, array( __CLASS__, 'send' ) );
	}

	/**
	 * Outbox table name.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . self::TABLE;
	}

	/**
	 * The outbox table's definition for dbDelta() (SyncFlow_Stock::install_table creates it with the idempotency
	 * table). The id is the event's sequence number in its stream.
	 *
	 * @param string $collate Charset / collation clause.
	 * @return string
	 */
	public static function schema( $collate ) {
		$table = self::table();
		return "CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  event_id char(36) NOT NULL,
  payload longtext NOT NULL,
  attempts int(11) NOT NULL DEFAULT 0,
  created_gmt datetime NOT NULL,
  PRIMARY KEY  (id),
  KEY created_gmt (created_gmt)
) {$collate};";
	}

	/**
	 * State kept between requests: stream id (new per connection), whether the hub wants events ('on', 'off', '' =
	 * not told yet), and the current run of failed sends.
	 *
	 * @return array{stream:string,hub:string,failing_since:string}
	 */
	public static function state() {
		$stored = get_option( self::OPTION, array() );
		return array_merge(
			array(
				'stream'        => '',
				'hub'           => '',
				'failing_since' => '',
			),
			is_array( $stored ) ? $stored : array()
		);
	}

	/**
	 * Saves (merges) the state.
	 *
	 * @param array $changes Fields to change.
	 */
	private static function update_state( array $changes ) {
		update_option( self::OPTION, array_merge( self::state(), $changes ), false );
	}

	/**
	 * A new connection: a new stream (the hub orders events per stream), nothing left over from the previous one.
	 *
	 * @param bool|null $wanted The hub's `stock_events` answer (null: it did not say).
	 */
	public static function on_connect( $wanted ) {
		self::clear();
		self::update_state(
			array(
				'stream'        => wp_generate_uuid4(),
				'hub'           => null === $wanted ? '' : ( $wanted ? 'on' : 'off' ),
				'failing_since' => '',
			)
		);
		self::schedule_send();
	}

	/**
	 * The hub's `stock_events` answer (heartbeat): 'on' starts sending what waits; 'off' stops capturing and drops it.
	 *
	 * @param mixed $wanted Answer field (absent = null: no change).
	 */
	public static function hub_said( $wanted ) {
		if ( ! is_bool( $wanted ) ) {
			return;
		}
		$was = self::state()['hub'];
		self::update_state( array( 'hub' => $wanted ? 'on' : 'off' ) );
		if ( ! $wanted && 'off' !== $was ) {
			self::clear();
		}
		if ( $wanted ) {
			self::schedule_send();
		}
	}

	/**
	 * Drops every waiting event (disconnect, the hub does not want them).
	 */
	public static function clear() {
		global $wpdb;
		$table = self::table();
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE id > %d", 0 ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Events waiting to be sent.
	 *
	 * @return int
	 */
	public static function pending() {
		global $wpdb;
		$table = self::table();
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$table} WHERE id > %d", 0 ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * Whether changes are captured now.
	 *
	 * @return bool
	 */
	private static function capturing() {
		if ( ! SyncFlow_Options::is_connected() ) {
			return false;
		}
		$state = self::state();
		return 'exact' === SyncFlow_Options::connection()['mode'] && 'off' !== $state['hub'] && '' !== $state['stream'];
	}

	/**
	 * Runs `$fn` with `$context` as the cause of the stock changes it makes (the plugin's own stock endpoints).
	 *
	 * @param array    $context ['cause' => …, 'request_key' => …].
	 * @param callable $fn      Work.
	 * @return mixed What `$fn` returns.
	 */
	public static function with_cause( array $context, callable $fn ) {
		$outer         = self::$context;
		self::$context = $context;
		try {
			return $fn();
		} finally {
			self::$context = $outer;
		}
	}

	/**
	 * `woocommerce_product_import_before_process_item`: the rest of this request is a product import.
	 */
	public static function importing() {
		self::$context = array( 'cause' => 'import' );
	}

	/**
	 * Before a stock change: the quantity as stored now (first call wins when saves nest).
	 *
	 * @param WC_Product $product Stock holder being changed.
	 */
	public static function before( $product ) {
		$id = (int) $product->get_id();
		if ( $id > 0 && ! array_key_exists( $id, self::$before ) ) {
			self::$before[ $id ] = self::stored_stock( $id );
		}
	}

	/**
	 * After a stock change: one event when the stored quantity really changed.
	 *
	 * @param WC_Product $product Stock holder that changed.
	 */
	public static function after( $product ) {
		$id = (int) $product->get_id();
		if ( $id <= 0 || ! array_key_exists( $id, self::$before ) ) {
			return;
		}
		$before = self::$before[ $id ];
		unset( self::$before[ $id ] );
		$after = self::stored_stock( $id );
		// No stock row before: a new product, or stock management just switched on — the hub links it, no change.
		if ( null === $before || null === $after || $before === $after || ! self::capturing() ) {
			return;
		}
		$context = self::$context;
		if ( $context && 'order_adjusted' === $context['cause'] && (int) $context['holder'] !== $id ) {
			$context = null;
		}
		$event = array(
			'cause'            => $context ? $context['cause'] : self::cause_here(),
			'product_id'       => $id,
			'stock_product_id' => $id,
			'sku'              => (string) $product->get_sku( 'edit' ),
			'before'           => $before,
			'after'            => $after,
		);
		if ( $context ) {
			$event = array_merge( $event, array_diff_key( $context, array( 'holder' => 1 ) ) );
		}
		if ( $context && 'order_adjusted' === $context['cause'] ) {
			self::$context = null; // one line edit, one change
		}
		self::write( $event, $id );
	}

	/**
	 * `woocommerce_reduce_order_item_stock`: the change just captured for this line's stock is the order's sale.
	 *
	 * @param WC_Order_Item_Product $item   Line.
	 * @param array                 $change ['product' => WC_Product, 'from' => units, 'to' => units].
	 * @param WC_Order              $order  Order.
	 */
	public static function order_reduced( $item, $change, $order ) {
		$product = isset( $change['product'] ) ? $change['product'] : null;
		if ( ! $product instanceof WC_Product ) {
			return;
		}
		self::relabel(
			(int) $product->get_stock_managed_by_id(),
			array_merge(
				self::line_fields( 'order_reduced', $item, $order, $product ),
				array(
					'before' => (int) wc_stock_amount( $change['from'] ),
					'after'  => (int) wc_stock_amount( $change['to'] ),
				)
			)
		);
	}

	/**
	 * `woocommerce_restore_order_item_stock` (→ cancelled / → pending): the line's units came back.
	 *
	 * @param WC_Order_Item_Product $item      Line.
	 * @param int|float             $new_stock Quantity after.
	 * @param int|float             $old_stock Quantity before.
	 * @param WC_Order              $order     Order.
	 */
	public static function order_restocked( $item, $new_stock, $old_stock, $order ) {
		$product = $item->get_product();
		if ( ! $product ) {
			return;
		}
		self::relabel(
			(int) $product->get_stock_managed_by_id(),
			array_merge(
				self::line_fields( 'order_restocked', $item, $order, $product ),
				array(
					'before' => (int) wc_stock_amount( $old_stock ),
					'after'  => (int) wc_stock_amount( $new_stock ),
				)
			)
		);
	}

	/**
	 * `woocommerce_create_refund`: remembers which lines the refund lists (restock happens right after it is saved).
	 *
	 * @param WC_Order_Refund $refund Refund.
	 * @param array           $args   wc_create_refund() arguments.
	 */
	public static function refund_started( $refund, $args ) {
		self::$refund = array( $refund, isset( $args['line_items'] ) && is_array( $args['line_items'] ) ? $args['line_items'] : array(), array() );
	}

	/**
	 * `woocommerce_restock_refunded_item`: a refund restocked one of its lines (wc_restock_refunded_items walks the
	 * order's lines in order, so the first listed line of this product not matched yet is the one).
	 *
	 * @param int        $product_id Product of the line.
	 * @param int|float  $old_stock  Quantity before (as WooCommerce read it).
	 * @param int|float  $new_stock  Quantity after.
	 * @param WC_Order   $order      Order.
	 * @param WC_Product $product    Product of the line.
	 */
	public static function refund_restocked( $product_id, $old_stock, $new_stock, $order, $product ) {
		if ( ! $product instanceof WC_Product || ! $order instanceof WC_Order ) {
			return;
		}
		$line   = null;
		$refund = self::$refund;
		if ( $refund ) {
			foreach ( $order->get_items() as $item_id => $item ) {
				$line_product = $item->get_variation_id() ? $item->get_variation_id() : $item->get_product_id();
				if ( ! isset( $refund[1][ $item_id ] ) || isset( $refund[2][ $item_id ] ) || (int) $line_product !== (int) $product_id ) {
					continue;
				}
				$line                        = $item;
				self::$refund[2][ $item_id ] = true;
				break;
			}
		}
		if ( ! $line ) {
			return;
		}
		$fields = self::line_fields( 'refund_restocked', $line, $order, $product );
		if ( $refund && $refund[0] instanceof WC_Order_Refund ) {
			$fields['refund_id'] = (int) $refund[0]->get_id();
		}
		$fields['after'] = (int) wc_stock_amount( $new_stock );
		self::relabel( (int) $product->get_stock_managed_by_id(), $fields );
	}

	/**
	 * `woocommerce_prevent_adjust_line_item_product_stock` (a line edited in wp-admin): the next change of its stock is
	 * that edit. Returns the filter value unchanged.
	 *
	 * @param bool                  $prevent  Whether another filter prevents the adjustment.
	 * @param WC_Order_Item_Product $item     Line.
	 * @param int                   $quantity Quantity checked against (−1 = the line's).
	 * @return bool
	 */
	public static function line_adjusting( $prevent, $item, $quantity ) {
		if ( $prevent || ! $item instanceof WC_Order_Item_Product ) {
			return $prevent;
		}
		$product = $item->get_product();
		$order   = $item->get_order();
		if ( ! $product || ! $order || ! $product->managing_stock() ) {
			return $prevent;
		}
		// wc_maybe_adjust_line_item_product_stock() leaves `_reduced_stock` at quantity − units restocked by refunds.
		$qty      = wc_stock_amount( $quantity >= 0 ? $quantity : $item->get_quantity() );
		$restock  = wc_stock_amount( $item->get_meta( '_restock_refunded_items', true ) );
		$fields   = self::line_fields( 'order_adjusted', $item, $order, $product );
		$fields['line_reduced'] = (int) ( 0 === (int) $qty ? 0 : $qty - $restock );
		self::$context          = array_merge( $fields, array( 'holder' => (int) $product->get_stock_managed_by_id() ) );
		return $prevent;
	}

	/**
	 * The order fields of an event about `$item`.
	 *
	 * @param string                $cause   Cause.
	 * @param WC_Order_Item_Product $item    Line.
	 * @param WC_Order              $order   Order.
	 * @param WC_Product            $product The line's product (a variation's own id, not its parent's).
	 * @return array
	 */
	private static function line_fields( $cause, $item, $order, $product ) {
		return array(
			'cause'         => $cause,
			'product_id'    => (int) $product->get_id(),
			'sku'           => (string) $product->get_sku( 'edit' ),
			'order_id'      => (int) $order->get_id(),
			'order_status'  => (string) $order->get_status( 'edit' ),
			'line_id'       => (int) $item->get_id(),
			'line_quantity' => (int) $item->get_quantity(),
			'line_reduced'  => (int) wc_stock_amount( $item->get_meta( '_reduced_stock', true ) ),
		);
	}

	/**
	 * Renames the newest event written in this request for `$holder` (an order hook right after its stock change).
	 *
	 * @param int   $holder Stock holder id.
	 * @param array $fields Fields to set.
	 */
	private static function relabel( $holder, array $fields ) {
		global $wpdb;
		foreach ( array_reverse( self::$written, true ) as $row_id => $written ) {
			if ( $written[0] !== $holder || in_array( $written[1], self::ORDER_KIND, true ) ) {
				continue;
			}
			$table = self::table();
			$json  = $wpdb->get_var( $wpdb->prepare( "SELECT payload FROM {$table} WHERE id = %d", $row_id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$event = json_decode( (string) $json, true );
			if ( ! is_array( $event ) ) {
				return;
			}
			$event = array_merge( $event, $fields );
			$event['delta'] = (int) $event['after'] - (int) $event['before'];
			unset( $event['request_key'] );
			$wpdb->update( $table, array( 'payload' => wp_json_encode( $event ) ), array( 'id' => $row_id ), array( '%s' ), array( '%d' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			self::$written[ $row_id ][1] = $fields['cause'];
			return;
		}
	}

	/**
	 * Where a change with no known cause happened.
	 *
	 * @return string
	 */
	private static function cause_here() {
		if ( defined( 'REST_REQUEST' ) && REST_REQUEST ) {
			$key = SyncFlow_Api_Keys::current_request_key_id();
			if ( $key > 0 ) {
				return $key === (int) SyncFlow_Options::connection()['key_id'] ? 'hub_write' : 'rest_api';
			}
			return 'other';
		}
		if ( is_admin() && get_current_user_id() > 0 ) {
			return 'admin_edit';
		}
		return 'other';
	}

	/**
	 * Stored `_stock` of a product (units), or null when it has no stock row.
	 *
	 * @param int $id Product id.
	 * @return int|null
	 */
	private static function stored_stock( $id ) {
		global $wpdb;
		$value = $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_stock' LIMIT 1", $id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
		return null === $value || '' === $value ? null : (int) wc_stock_amount( $value );
	}

	/**
	 * Writes one event to the outbox and makes sure a send is scheduled.
	 *
	 * @param array $event  Event fields (without id, stream, seq, at, delta).
	 * @param int   $holder Stock holder id.
	 */
	private static function write( array $event, $holder ) {
		global $wpdb;
		$event = array_merge(
			array( 'id' => wp_generate_uuid4() ),
			$event,
			array(
				'delta' => (int) $event['after'] - (int) $event['before'],
				'at'    => gmdate( 'Y-m-d\TH:i:s', time() ) . sprintf( '.%03dZ', (int) ( fmod( microtime( true ), 1 ) * 1000 ) ),
			)
		);
		$ok = $wpdb->insert( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery
			self::table(),
			array(
				'event_id'    => $event['id'],
				'payload'     => wp_json_encode( $event ),
				'attempts'    => 0,
				'created_gmt' => gmdate( 'Y-m-d H:i:s' ),
			),
			array( '%s', '%s', '%d', '%s' )
		);
		if ( ! $ok ) {
			return;
		}
		self::$written[ (int) $wpdb->insert_id ] = array( (int) $holder, (string) $event['cause'] );
		self::schedule_send();
	}

	/**
	 * Schedules one async send (once per request), unless one is already waiting.
	 */
	private static function schedule_send() {
		if ( self::$scheduled || 'on' !== self::state()['hub'] ) {
			return;
		}
		self::$scheduled = true;
		self::schedule_in( 0 );
	}

	/**
	 * Schedules a send in `$seconds` unless one is already waiting to run. Only *pending* sends count: a send that
	 * is running may have read the outbox before the newest events were written (Action Scheduler's `unique` and
	 * as_has_scheduled_action() also count the running one).
	 *
	 * @param int $seconds Delay.
	 */
	private static function schedule_in( $seconds ) {
		if ( ! function_exists( 'as_schedule_single_action' ) || ! function_exists( 'as_get_scheduled_actions' ) ) {
			return;
		}
		$waiting = as_get_scheduled_actions(
			array(
				'hook'     => self::SEND_HOOK,
				'group'    => SyncFlow_Scheduler::GROUP,
				'status'   => ActionScheduler_Store::STATUS_PENDING,
				'per_page' => 1,
			),
			'ids'
		);
		if ( empty( $waiting ) ) {
			as_schedule_single_action( time() + (int) $seconds, self::SEND_HOOK, array(), SyncFlow_Scheduler::GROUP );
		}
	}

	/**
	 * The Action Scheduler action: sends the outbox oldest first, in calls of at most 100 events and MAX_BYTES, until it
	 * is empty or a call fails;
	 * a failure is retried later (30 s doubling to 1 h). Events the hub accepted or rejected leave the outbox.
	 *
	 * @return array{sent:int,left:int,error:string} What happened (for the status screen and tests).
	 */
	public static function send() {
		global $wpdb;
		$table = self::table();
		$state = self::state();
		$sent  = 0;
		if ( ! SyncFlow_Options::is_connected() || 'on' !== $state['hub'] ) {
			return array(
				'sent'  => 0,
				'left'  => self::pending(),
				'error' => '',
			);
		}
		for ( $round = 0; $round < 20; $round++ ) {
			$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, payload, attempts FROM {$table} ORDER BY id ASC LIMIT %d", self::BATCH ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			if ( empty( $rows ) ) {
				break;
			}
			$events = array();
			$ids    = array();
			$bytes  = 0;
			$batch  = array();
			foreach ( $rows as $row ) {
				$event = json_decode( (string) $row->payload, true );
				if ( ! is_array( $event ) ) {
					continue;
				}
				$event['stream'] = $state['stream'];
				$event['seq']    = (int) $row->id;
				$size            = strlen( (string) wp_json_encode( $event ) ) + 1;
				if ( $events && $bytes + $size > self::MAX_BYTES ) {
					break; // the rest goes in the next call
				}
				$bytes              += $size;
				$events[]            = $event;
				$batch[]             = $row;
				$ids[ $event['id'] ] = (int) $row->id;
			}
			if ( ! $events ) {
				break;
			}
			$result = SyncFlow_Hub_Client::signed(
				'/api/woo/stock-events',
				array(
					'store_url'      => home_url(),
					'plugin_version' => SYNCFLOW_VERSION,
					'events'         => $events,
				)
			);
			if ( is_wp_error( $result ) || 200 !== $result['status'] || empty( $result['body']['ok'] ) ) {
				return self::failed( $batch, is_wp_error( $result ) ? $result->get_error_message() : implode( ': ', array_filter( SyncFlow_Hub_Client::error_of( $result ) ) ), $sent );
			}
			$body = $result['body'];
			$done = array();
			foreach ( isset( $body['accepted'] ) && is_array( $body['accepted'] ) ? $body['accepted'] : array() as $event_id ) {
				if ( is_string( $event_id ) && isset( $ids[ $event_id ] ) ) {
					$done[] = $ids[ $event_id ];
				}
			}
			foreach ( isset( $body['rejected'] ) && is_array( $body['rejected'] ) ? $body['rejected'] : array() as $rejected ) {
				if ( isset( $rejected['id'] ) && is_string( $rejected['id'] ) && isset( $ids[ $rejected['id'] ] ) ) {
					$done[] = $ids[ $rejected['id'] ];
					/* translators: 1: event id, 2: reason */
					SyncFlow_Event_Log::add( 'error', 'stock_event', sprintf( __( 'The hub refused stock event %1$s: %2$s', 'syncflow-for-woocommerce' ), $rejected['id'], isset( $rejected['reason'] ) ? (string) $rejected['reason'] : '' ) );
				}
			}
			if ( $done ) {
				$wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE id IN (" . implode( ',', array_fill( 0, count( $done ), '%d' ) ) . ')', $done ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
			}
			$sent += count( $done );
			if ( array_key_exists( 'stock_events', $body ) && false === $body['stock_events'] ) {
				self::hub_said( false );
				break;
			}
			if ( count( $done ) < count( $batch ) ) {
				break; // the hub answered for fewer events than it was sent: try the rest later
			}
		}
		if ( '' !== $state['failing_since'] ) {
			self::update_state( array( 'failing_since' => '' ) );
			SyncFlow_Event_Log::add( 'info', 'stock_event', __( 'Stock changes reach the hub again.', 'syncflow-for-woocommerce' ) );
		}
		$left = self::pending();
		if ( $left > 0 && 'on' === self::state()['hub'] ) {
			self::schedule_in( 30 );
		}
		return array(
			'sent'  => $sent,
			'left'  => $left,
			'error' => '',
		);
	}

	/**
	 * A send that failed: counts the attempt, logs the start of a failure run, retries later.
	 *
	 * @param array  $rows    The batch.
	 * @param string $message Why.
	 * @param int    $sent    Events sent before.
	 * @return array
	 */
	private static function failed( array $rows, $message, $sent ) {
		global $wpdb;
		$table    = self::table();
		$attempts = 0;
		foreach ( $rows as $row ) {
			$attempts = max( $attempts, (int) $row->attempts + 1 );
		}
		$ids      = array_map( static fn( $r ) => (int) $r->id, $rows );
		$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET attempts = attempts + 1 WHERE id IN (" . implode( ',', array_fill( 0, count( $ids ), '%d' ) ) . ')', $ids ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
		if ( '' === self::state()['failing_since'] ) {
			self::update_state( array( 'failing_since' => SyncFlow_Options::now() ) );
			/* translators: %s: error message */
			SyncFlow_Event_Log::add( 'error', 'stock_event', sprintf( __( 'Stock changes could not be sent to the hub (kept, retried): %s', 'syncflow-for-woocommerce' ), $message ) );
		}
		self::schedule_in( (int) min( HOUR_IN_SECONDS, 30 * pow( 2, min( 7, max( 0, $attempts - 1 ) ) ) ) );
		return array(
			'sent'  => $sent,
			'left'  => self::pending(),
			'error' => $message,
		);
	}

	/**
	 * Daily purge: events nobody could send for RETENTION days (the hub has reconciled the store since).
	 *
	 * @return int Rows deleted.
	 */
	public static function purge() {
		global $wpdb;
		$table  = self::table();
		$cutoff = gmdate( 'Y-m-d H:i:s', time() - self::RETENTION * DAY_IN_SECONDS );
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE created_gmt < %s", $cutoff ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}
}
