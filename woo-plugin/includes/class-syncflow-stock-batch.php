<?php
/**
 * Catalog-scale stock routes (contract 1.1, docs/contracts/wc-syncflow-v1.md):
 * - POST /stock/batch    — up to 100 delta / compare-and-set operations in one call, each with its own request key
 *                          and its own result, applied one by one, in order, through SyncFlow_Stock (the single routes'
 *                          logic), each under its own savepoint inside a transaction shared by a run of ops
 *                          (decision 309);
 * - GET  /stock/snapshot — the catalog's stock (id, parent id, type, SKU, stock management, quantity, modified time)
 *                          in id order, thousands of rows per call, paged by `after` (keyset).
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Batch and snapshot handlers.
 */
class SyncFlow_Stock_Batch {

	/** Most operations per batch call (WooCommerce's own REST batch limit). */
	const MAX_OPS = 100;
	/**
	 * A batch transaction is committed after this many ops or this much time (s), whichever comes first: the commit is
	 * paid once per run of ops instead of once per op, while the rows a transaction locks (MySQL: the products' stock
	 * and post rows, WooCommerce's shared transient-version option; SQLite: the whole database) are held about as long
	 * as one slow request — a checkout waiting on them waits at most that long (decision 309).
	 */
	const CHUNK_OPS     = 25;
	const CHUNK_SECONDS = 0.25;
	/**
	 * Stock holders whose stock this batch wrote (product id => true; WooCommerce's `woocommerce_updated_product_stock`),
	 * for the term recount at the end, and => 'fresh' while the same op's product save runs (see absent_meta()).
	 *
	 * @var array<int,bool|string>
	 */
	private static $saved = array();

	/** Default and largest page of the snapshot, in rows. */
	const SNAPSHOT_DEFAULT = 1000;
	const SNAPSHOT_MAX     = 5000;

	/**
	 * POST /stock/batch {ops: [{op: "delta", product_id|sku, delta, request_key} | {op: "cas", product_id|sku, expected,
	 * quantity, request_key}, ...]}. Answers 200 {results: [...]} with one result per op, in order: the single route's 200
	 * body plus `status: 200`, or its error `{status, code, message[, current]}`. Each op is validated, made idempotent
	 * and applied exactly as POST /stock/delta or /stock/cas would (same validation order, same request key, same
	 * WooCommerce stock functions and hooks), in order, so one failing op never undoes or blocks another: the ops share
	 * a transaction per run of CHUNK_OPS ops / CHUNK_SECONDS, each under its own savepoint (a failing op rolls back to
	 * it); if the database ends a transaction (a MySQL deadlock victim), that run of ops is redone one by one, each in
	 * its own transaction, as the single routes do. Before the first op the batch's products (and their parents) are
	 * read into WordPress's object cache in a few queries and its request keys are looked up in one; term counts
	 * (stock status → `product_visibility`) are recounted once at the end (wp_defer_term_counting).
	 * 400 syncflow_bad_request when `ops` is not a non-empty list; 413 syncflow_batch_too_large above 100 ops (nothing
	 * is applied).
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function batch( WP_REST_Request $request ) {
		$json = $request->get_json_params();
		$ops  = is_array( $json ) && isset( $json['ops'] ) ? $json['ops'] : null;
		if ( ! is_array( $ops ) || array() === $ops || array_keys( $ops ) !== range( 0, count( $ops ) - 1 ) ) {
			return new WP_Error( 'syncflow_bad_request', __( 'ops must be a non-empty list of operations.', 'syncflow-for-woocommerce' ), array( 'status' => 400 ) );
		}
		if ( count( $ops ) > self::MAX_OPS ) {
			/* translators: %d: the largest number of operations per call */
			return new WP_Error( 'syncflow_batch_too_large', sprintf( __( 'At most %d operations per batch.', 'syncflow-for-woocommerce' ), self::MAX_OPS ), array( 'status' => 413 ) );
		}
		$ops = array_map(
			static function ( $op ) {
				return is_array( $op ) ? $op : array();
			},
			$ops
		);
		return new WP_REST_Response( array( 'results' => array_map( array( __CLASS__, 'result' ), self::apply( $ops ) ) ) );
	}

	/**
	 * Applies the ops in order (see batch()).
	 *
	 * @param array[] $ops Operations.
	 * @return array<int,array|WP_REST_Response|WP_Error> One outcome per op, same keys.
	 */
	private static function apply( array $ops ) {
		global $wpdb;
		/**
		 * Whether POST /stock/batch shares transactions between its ops (default true, decision 309). False: each op in
		 * its own transaction, exactly as the single routes and plugin 1.1.0 — for a database whose tables cannot roll
		 * back to a savepoint (MyISAM), and to measure the difference (bench/woo-plugin-cost.ts).
		 *
		 * @param bool $shared Share transactions.
		 */
		$isolation = self::isolation();
		if ( false === $isolation || ! apply_filters( 'syncflow_stock_batch_transactions', true ) ) {
			return array_map( array( __CLASS__, 'run_op' ), $ops );
		}
		self::prime( $ops );
		$keys = array();
		foreach ( $ops as $op ) {
			if ( isset( $op['request_key'] ) && is_string( $op['request_key'] ) && '' !== $op['request_key'] && strlen( $op['request_key'] ) <= 200 ) {
				$keys[] = $op['request_key'];
			}
		}
		$outcomes = array();
		$applied  = false;
		$deferred = wp_defer_term_counting();
		wp_defer_term_counting( true );
		self::$saved = array();
		add_filter( 'woocommerce_product_recount_terms', '__return_false' );
		add_action( 'woocommerce_updated_product_stock', array( __CLASS__, 'stock_written' ) );
		add_filter( 'delete_post_metadata', array( __CLASS__, 'absent_meta' ), 10, 5 );
		self::queue_webhooks_in_one_transaction();
		SyncFlow_Stock::begin_batch( $keys );
		try {
			$run   = array(); // ops in the open transaction
			$open  = false;
			$since = 0.0;
			foreach ( $ops as $i => $op ) {
				if ( ! $open ) {
					if ( 'read_committed' === $isolation ) {
						$wpdb->query( 'SET TRANSACTION ISOLATION LEVEL READ COMMITTED' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
					}
					if ( false === $wpdb->query( 'START TRANSACTION' ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
						$outcomes[ $i ] = self::one_by_one( $op );
						continue;
					}
					$open  = true;
					$run   = array();
					$since = microtime( true );
				}
				$outcomes[ $i ] = self::run_op( $op );
				$run[]          = $i;
				$lost           = SyncFlow_Stock::batch_is_lost();
				if ( ! $lost && count( $run ) < self::CHUNK_OPS && microtime( true ) - $since < self::CHUNK_SECONDS ) {
					continue;
				}
				$open = false;
				$lost = $lost || false === $wpdb->query( 'COMMIT' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				if ( $lost ) {
					self::redo( $ops, $run, $outcomes );
				} else {
					SyncFlow_Stock::batch_committed();
				}
			}
			if ( $open && false === $wpdb->query( 'COMMIT' ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				self::redo( $ops, $run, $outcomes );
			}
		} finally {
			SyncFlow_Stock::end_batch();
			remove_filter( 'delete_post_metadata', array( __CLASS__, 'absent_meta' ), 10 );
			remove_action( 'woocommerce_updated_product_stock', array( __CLASS__, 'stock_written' ) );
			remove_filter( 'woocommerce_product_recount_terms', '__return_false' );
			self::recount_terms( array_keys( self::$saved ) );
			wp_defer_term_counting( $deferred ); // false (the usual case): the deferred term counts are updated now
		}
		foreach ( $outcomes as $o ) {
			$applied = $applied || ( is_array( $o ) && isset( $o['replayed'] ) && false === $o['replayed'] );
		}
		if ( $applied ) {
			update_option( SyncFlow_Options::LAST_SYNC, SyncFlow_Options::now(), false );
		}
		ksort( $outcomes );
		return $outcomes;
	}

	/**
	 * How a shared transaction must be opened on this database: 'as_is' (SQLite: BEGIN IMMEDIATE holds the only write
	 * lock, so no other request commits while it runs and every read sees the latest stock); 'read_committed' (MySQL /
	 * MariaDB: the next transaction is made READ COMMITTED); or false = do not share transactions here.
	 *
	 * Why READ COMMITTED: under InnoDB's default REPEATABLE READ a transaction's plain SELECTs see the snapshot taken at
	 * its first read, so an op late in a run of ops would read the stock a concurrent checkout has changed since —
	 * WooCommerce's wc_update_product_stock() computes the quantity it returns and the stock status it saves from such
	 * a SELECT (its UPDATE itself is atomic). Under READ COMMITTED every SELECT sees the latest committed stock, as a
	 * transaction of one op did. InnoDB refuses writes under READ COMMITTED when the binary log is statement-based, so
	 * such a server keeps one transaction per op (false).
	 *
	 * @return string|false
	 */
	private static function isolation() {
		global $wpdb;
		if ( ( defined( 'DB_ENGINE' ) && 'sqlite' === DB_ENGINE ) || ( class_exists( 'WP_SQLite_DB' ) && $wpdb instanceof WP_SQLite_DB ) ) {
			return 'as_is';
		}
		$quiet  = $wpdb->suppress_errors( true );
		$format = $wpdb->get_var( 'SELECT @@SESSION.binlog_format' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
		$wpdb->suppress_errors( $quiet );
		if ( is_string( $format ) && 'STATEMENT' === strtoupper( $format ) ) {
			return false;
		}
		return 'read_committed';
	}

	/**
	 * `woocommerce_updated_product_stock` (WC_Product_Data_Store_CPT::update_product_stock, right after its stock UPDATE
	 * and its cache flush): remembers the holder for the term recount and marks its meta cache as read after the write.
	 *
	 * @param int $product_id Stock holder id.
	 */
	public static function stock_written( $product_id ) {
		foreach ( self::$saved as $id => $state ) {
			if ( 'fresh' === $state ) {
				self::$saved[ $id ] = true;
			}
		}
		self::$saved[ (int) $product_id ] = 'fresh';
	}

	/**
	 * `delete_post_metadata` while the batch saves a product: WooCommerce's product save "deletes" every empty prop whose
	 * meta row does not exist (WC_Data_Store_WP::get_props_to_update lists props without a row, and
	 * update_or_delete_post_meta deletes empty ones): 16 SELECTs per save that find nothing. When WordPress's meta cache
	 * of that product — loaded after this op's own stock write, inside this transaction — has no such key, there is no
	 * row: answer false, as delete_metadata() would after its SELECT (no row deleted, no delete hooks fired). Anything
	 * else goes to delete_metadata() as usual.
	 *
	 * @param null|bool $check      Short-circuit value so far.
	 * @param int       $object_id  Post id.
	 * @param string    $meta_key   Meta key.
	 * @param mixed     $meta_value Value to match ('' = any).
	 * @param bool      $delete_all Delete for every post.
	 * @return null|bool
	 */
	public static function absent_meta( $check, $object_id, $meta_key, $meta_value, $delete_all ) {
		if ( null !== $check || $delete_all || ! isset( self::$saved[ (int) $object_id ] ) || 'fresh' !== self::$saved[ (int) $object_id ] ) {
			return $check;
		}
		if ( '' !== $meta_value && null !== $meta_value && false !== $meta_value ) {
			return $check;
		}
		$cache = wp_cache_get( (int) $object_id, 'post_meta' );
		if ( ! is_array( $cache ) || array_key_exists( (string) $meta_key, $cache ) ) {
			return $check;
		}
		return false;
	}

	/**
	 * The product category and tag counts WooCommerce keeps (`product_count_*` term meta, and hidden out-of-stock
	 * products when the shop hides them), recounted once for every product the batch saved — what each save's
	 * `_wc_recount_terms_by_product()` does, merged (WooCommerce's `woocommerce_product_recount_terms` filter exists for
	 * exactly this: "prevent it from recounting per product but instead recount it once").
	 *
	 * @param int[] $product_ids Products saved.
	 */
	private static function recount_terms( array $product_ids ) {
		if ( ! $product_ids || ! function_exists( '_wc_term_recount' ) ) {
			return;
		}
		$by_taxonomy = array(
			'product_cat' => array(),
			'product_tag' => array(),
		);
		$found       = wp_get_object_terms( array_map( 'intval', $product_ids ), array_keys( $by_taxonomy ), array( 'fields' => 'all_with_object_id' ) );
		foreach ( is_array( $found ) ? $found : array() as $term ) {
			if ( $term instanceof WP_Term && isset( $by_taxonomy[ $term->taxonomy ] ) ) {
				$by_taxonomy[ $term->taxonomy ][ $term->term_id ] = $term->parent;
			}
		}
		foreach ( $by_taxonomy as $taxonomy => $terms ) {
			if ( $terms ) {
				_wc_term_recount( $terms, get_taxonomy( $taxonomy ), false, false );
			}
		}
	}

	/**
	 * WooCommerce queues each changed product's webhook deliveries at `shutdown` (wc_webhook_execute_queue, priority
	 * 10: per product and webhook a lookup and an Action Scheduler action with its log row) and syncs variable products'
	 * parents there too (wc_deferred_product_sync): this runs that work in one transaction (priorities 9 and 11) instead
	 * of one per statement. If the COMMIT fails, the queue is run again outside a transaction.
	 */
	private static function queue_webhooks_in_one_transaction() {
		global $wpdb;
		static $added = false;
		if ( $added ) {
			return;
		}
		$added = true;
		$open  = false;
		add_action(
			'shutdown',
			static function () use ( $wpdb, &$open ) {
				global $wc_queued_webhooks;
				if ( ! empty( $wc_queued_webhooks ) ) {
					$open = false !== $wpdb->query( 'START TRANSACTION' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				}
			},
			9
		);
		add_action(
			'shutdown',
			static function () use ( $wpdb, &$open ) {
				if ( ! $open ) {
					return;
				}
				$open = false;
				if ( false === $wpdb->query( 'COMMIT' ) && function_exists( 'wc_webhook_execute_queue' ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
					$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
					wc_webhook_execute_queue();
				}
			},
			11
		);
	}

	/**
	 * The database ended the open transaction (or its COMMIT failed): nothing of it was kept. Rolls back, flushes what
	 * it cached, and redoes its ops one by one, each in its own transaction like the single routes (an op whose key a
	 * concurrent request committed meanwhile replays).
	 *
	 * @param array[] $ops      All ops.
	 * @param int[]   $run      Indexes of the ops of the lost transaction.
	 * @param array   $outcomes Outcomes, replaced for those indexes.
	 */
	private static function redo( array $ops, array $run, array &$outcomes ) {
		global $wpdb;
		$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
		SyncFlow_Stock::batch_reset();
		foreach ( $run as $i ) {
			$outcomes[ $i ] = self::one_by_one( $ops[ $i ] );
		}
	}

	/**
	 * One op outside the batch transaction, exactly as its single route runs it (own transaction).
	 *
	 * @param array $op Operation.
	 * @return array|WP_REST_Response|WP_Error
	 */
	private static function one_by_one( array $op ) {
		$state = SyncFlow_Stock::suspend_batch();
		try {
			return self::run_op( $op );
		} finally {
			SyncFlow_Stock::resume_batch( $state );
		}
	}

	/**
	 * Reads the batch's products, and the parents of its variations, into WordPress's object cache in a few queries
	 * (posts, meta, terms: `_prime_post_caches`), so each op's wc_get_product() finds them there instead of querying
	 * posts, postmeta and the term tables once per product. SKUs are left to the per-op lookup.
	 *
	 * @param array[] $ops Operations.
	 */
	private static function prime( array $ops ) {
		$ids = array();
		foreach ( $ops as $op ) {
			if ( isset( $op['product_id'] ) && is_numeric( $op['product_id'] ) && absint( $op['product_id'] ) > 0 ) {
				$ids[ absint( $op['product_id'] ) ] = true;
			}
		}
		if ( ! $ids ) {
			return;
		}
		_prime_post_caches( array_keys( $ids ), true, true );
		$parents = array();
		foreach ( array_keys( $ids ) as $id ) {
			$post = get_post( $id );
			if ( $post && 'product_variation' === $post->post_type && $post->post_parent ) {
				$parents[ (int) $post->post_parent ] = true;
			}
		}
		if ( $parents ) {
			_prime_post_caches( array_keys( $parents ), true, true );
		}
	}

	/**
	 * One operation of a batch, through the single routes' validation and SyncFlow_Stock.
	 *
	 * @param array $op Operation.
	 * @return array|WP_REST_Response|WP_Error
	 */
	private static function run_op( array $op ) {
		$kind = isset( $op['op'] ) ? $op['op'] : null;
		if ( 'delta' === $kind ) {
			return SyncFlow_REST_Controller::delta_op( $op );
		}
		if ( 'cas' === $kind ) {
			return SyncFlow_REST_Controller::cas_op( $op );
		}
		return new WP_Error( 'syncflow_bad_request', __( 'op must be "delta" or "cas".', 'syncflow-for-woocommerce' ), array( 'status' => 400 ) );
	}

	/**
	 * A per-op result: the 200 body with `status`, or the error's status, code, message (and `current` for a stale CAS).
	 *
	 * @param array|WP_REST_Response|WP_Error $r Outcome.
	 * @return array
	 */
	private static function result( $r ) {
		if ( is_wp_error( $r ) ) {
			$data = $r->get_error_data();
			$out  = array(
				'status'  => is_array( $data ) && isset( $data['status'] ) ? (int) $data['status'] : 500,
				'code'    => $r->get_error_code(),
				'message' => $r->get_error_message(),
			);
			if ( is_array( $data ) && isset( $data['current'] ) ) {
				$out['current'] = (int) $data['current'];
			}
			return $out;
		}
		if ( $r instanceof WP_REST_Response ) {
			$body = $r->get_data();
			$out  = array(
				'status'  => (int) $r->get_status(),
				'code'    => isset( $body['code'] ) ? $body['code'] : '',
				'message' => isset( $body['message'] ) ? $body['message'] : '',
			);
			if ( isset( $body['current'] ) ) {
				$out['current'] = (int) $body['current'];
			}
			return 200 === $out['status'] && is_array( $body ) ? array_merge( array( 'status' => 200 ), $body ) : $out;
		}
		return array_merge( array( 'status' => 200 ), (array) $r );
	}

	/**
	 * GET /stock/snapshot?after=<id>&limit=<n>: products and variations with id > after, ascending, at most `limit`
	 * (1–5000, default 1000) rows of {id, parent_id, type, sku, manage_stock: true|false|"parent", stock_quantity (the
	 * stock holder's, null when nothing manages stock), date_modified_gmt}. `next_after` is the last id when the page is
	 * full (ask again from there), else null. Trashed and auto-draft posts are left out, as the REST product list does.
	 * One SQL query per page on the posts and postmeta tables, so a 10,000-product store is read in a few calls.
	 *
	 * @param WP_REST_Request $request Request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function snapshot( WP_REST_Request $request ) {
		global $wpdb;
		$after = $request->get_param( 'after' );
		$limit = $request->get_param( 'limit' );
		$after = null === $after || '' === $after ? 0 : $after;
		$limit = null === $limit || '' === $limit ? self::SNAPSHOT_DEFAULT : $limit;
		if ( ! is_numeric( $after ) || (int) $after < 0 || (string) (int) $after !== (string) $after ) {
			return new WP_Error( 'syncflow_bad_request', __( 'after must be a product id (an integer ≥ 0).', 'syncflow-for-woocommerce' ), array( 'status' => 400 ) );
		}
		if ( ! is_numeric( $limit ) || (string) (int) $limit !== (string) $limit || (int) $limit < 1 || (int) $limit > self::SNAPSHOT_MAX ) {
			/* translators: %d: the largest page */
			return new WP_Error( 'syncflow_bad_request', sprintf( __( 'limit must be an integer from 1 to %d.', 'syncflow-for-woocommerce' ), self::SNAPSHOT_MAX ), array( 'status' => 400 ) );
		}
		$after = (int) $after;
		$limit = (int) $limit;
		// phpcs:disable WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT p.ID AS id, p.post_parent AS parent_id, p.post_type AS post_type, p.post_modified_gmt AS modified_gmt,
				        sku.meta_value AS sku, ms.meta_value AS manage_stock, st.meta_value AS stock,
				        pms.meta_value AS parent_manage_stock, pst.meta_value AS parent_stock,
				        ( SELECT t.slug FROM {$wpdb->term_relationships} tr
				            INNER JOIN {$wpdb->term_taxonomy} tt ON tt.term_taxonomy_id = tr.term_taxonomy_id
				            INNER JOIN {$wpdb->terms} t ON t.term_id = tt.term_id
				          WHERE tr.object_id = p.ID AND tt.taxonomy = 'product_type' LIMIT 1 ) AS product_type
				 FROM {$wpdb->posts} p
				 LEFT JOIN {$wpdb->postmeta} sku ON sku.post_id = p.ID AND sku.meta_key = '_sku'
				 LEFT JOIN {$wpdb->postmeta} ms ON ms.post_id = p.ID AND ms.meta_key = '_manage_stock'
				 LEFT JOIN {$wpdb->postmeta} st ON st.post_id = p.ID AND st.meta_key = '_stock'
				 LEFT JOIN {$wpdb->postmeta} pms ON p.post_type = 'product_variation' AND pms.post_id = p.post_parent AND pms.meta_key = '_manage_stock'
				 LEFT JOIN {$wpdb->postmeta} pst ON p.post_type = 'product_variation' AND pst.post_id = p.post_parent AND pst.meta_key = '_stock'
				 WHERE p.post_type IN ('product', 'product_variation') AND p.post_status NOT IN ('trash', 'auto-draft') AND p.ID > %d
				 ORDER BY p.ID ASC
				 LIMIT %d",
				$after,
				$limit
			)
		);
		// phpcs:enable
		$out  = array();
		$seen = array();
		foreach ( (array) $rows as $row ) {
			$id = (int) $row->id;
			if ( isset( $seen[ $id ] ) ) {
				continue; // A post with a repeated meta key: the first row counts.
			}
			$seen[ $id ]  = true;
			$is_variation = 'product_variation' === $row->post_type;
			if ( 'yes' === $row->manage_stock ) {
				$manage = true;
				$qty    = (int) wc_stock_amount( null === $row->stock ? 0 : $row->stock );
			} elseif ( $is_variation && 'yes' === $row->parent_manage_stock ) {
				$manage = 'parent';
				$qty    = (int) wc_stock_amount( null === $row->parent_stock ? 0 : $row->parent_stock );
			} else {
				$manage = false;
				$qty    = null;
			}
			$out[] = array(
				'id'                => $id,
				'parent_id'         => $is_variation ? (int) $row->parent_id : 0,
				'type'              => $is_variation ? 'variation' : ( $row->product_type ? $row->product_type : 'simple' ),
				'sku'               => null === $row->sku ? '' : (string) $row->sku,
				'manage_stock'      => $manage,
				'stock_quantity'    => $qty,
				'date_modified_gmt' => $row->modified_gmt && '0000-00-00 00:00:00' !== $row->modified_gmt ? str_replace( ' ', 'T', $row->modified_gmt ) : null,
			);
		}
		$full = count( (array) $rows ) >= $limit;
		return new WP_REST_Response(
			array(
				'rows'       => $out,
				'next_after' => $full && $out ? (int) end( $out )['id'] : null,
			)
		);
	}
}
