<?php
/**
 * Exact stock operations (atomic delta, compare-and-set) with idempotency by request key.
 * Contract: docs/contracts/wc-syncflow-v1.md.
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Stock writes. A single route's write runs in one database transaction that first claims the request key
 * (INSERT into the idempotency table: a concurrent duplicate waits on / collides with it), then changes stock
 * with WooCommerce's own atomic SQL (wc_update_product_stock) or a conditional UPDATE (CAS), then stores the
 * response. Failures roll everything back, so only successful outcomes are remembered.
 *
 * Inside POST /stock/batch (SyncFlow_Stock_Batch, decision 309) the batch holds the transaction — one per run of ops
 * (at most CHUNK_OPS ops or CHUNK_SECONDS of work), not one per op — and each op runs under its own savepoint
 * (`syncflow_op`): it
 * changes stock, then writes its request key together with its response (one INSERT instead of INSERT + UPDATE); a
 * failure rolls back to the op's savepoint, so only that op is undone and only successful outcomes are remembered.
 * Request keys are looked up for the whole batch in one query first.
 */
class SyncFlow_Stock {

	const TABLE         = 'syncflow_idempotency';
	const DB_VERSION    = '2';
	const RETENTION_H   = 48;
	const MAX_ATTEMPTS  = 5;

	/**
	 * Set while SyncFlow_Stock_Batch runs ops inside its transaction: `known` = request key hash => remembered row
	 * (object) or null (looked up for the whole batch, not found then), `holders` = stock holder ids written in the
	 * open transaction (their caches are flushed if it is lost), `lost` = the database ended the transaction (a MySQL
	 * deadlock victim, a failed savepoint): the batch redoes the transaction's ops one by one.
	 *
	 * @var array{known:array<string,object|null>,holders:array<int,bool>,lost:bool}|null
	 */
	private static $batch = null;

	/**
	 * Idempotency table name.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . self::TABLE;
	}

	/**
	 * Creates / upgrades the idempotency table and the stock events outbox (DB_VERSION 2).
	 */
	public static function install_table() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$table   = self::table();
		$collate = $wpdb->get_charset_collate();
		dbDelta(
			array(
				"CREATE TABLE {$table} (
  key_hash char(64) NOT NULL,
  request_key varchar(200) NOT NULL,
  fingerprint char(64) NOT NULL,
  response longtext NULL,
  created_gmt datetime NOT NULL,
  PRIMARY KEY  (key_hash),
  KEY created_gmt (created_gmt)
) {$collate};",
				SyncFlow_Stock_Events::schema( $collate ),
			)
		);
		update_option( SyncFlow_Options::DB_VERSION, self::DB_VERSION, true );
	}

	/**
	 * Deletes remembered request keys older than the retention (48 h; the contract asks for at least 24 h), and stock
	 * events that could not be sent for SyncFlow_Stock_Events::RETENTION days.
	 *
	 * @return int Request keys deleted.
	 */
	public static function purge() {
		global $wpdb;
		$cutoff = gmdate( 'Y-m-d H:i:s', time() - self::RETENTION_H * HOUR_IN_SECONDS );
		$table  = self::table();
		SyncFlow_Stock_Events::purge();
		return (int) $wpdb->query( $wpdb->prepare( "DELETE FROM {$table} WHERE created_gmt < %s", $cutoff ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/**
	 * The product that holds the stock of $product (itself, or the parent of a variation whose stock is
	 * managed by the parent), or null when nothing manages stock.
	 *
	 * @param WC_Product $product Product or variation.
	 * @return WC_Product|null
	 */
	public static function stock_holder( $product ) {
		if ( ! $product->managing_stock() ) {
			return null;
		}
		$holder_id = (int) $product->get_stock_managed_by_id();
		if ( $holder_id === (int) $product->get_id() ) {
			return $product;
		}
		$holder = wc_get_product( $holder_id );
		return $holder ? $holder : null;
	}

	/**
	 * Atomic delta.
	 *
	 * @param WC_Product $product     Target product or variation.
	 * @param int        $delta       Non-zero units (negative = stock leaves).
	 * @param string     $request_key Idempotency key.
	 * @return array|WP_REST_Response|WP_Error 200 body, or an error response.
	 */
	public static function delta( $product, $delta, $request_key ) {
		$fingerprint = hash( 'sha256', wp_json_encode( array( 'delta', (int) $product->get_id(), (int) $delta ) ) );
		return self::run(
			$product,
			$request_key,
			$fingerprint,
			static function ( $holder ) use ( $product, $delta ) {
				$after = wc_update_product_stock( $product, abs( $delta ), $delta > 0 ? 'increase' : 'decrease' );
				if ( false === $after || null === $after ) {
					return new WP_Error( 'syncflow_db_error', 'stock update failed' );
				}
				$after = (int) wc_stock_amount( $after );
				return array(
					'before' => $after - (int) $delta,
					'after'  => $after,
				);
			}
		);
	}

	/**
	 * Compare-and-set.
	 *
	 * @param WC_Product $product     Target product or variation.
	 * @param int        $expected    Quantity the hub believes the store holds.
	 * @param int        $quantity    New quantity.
	 * @param string     $request_key Idempotency key.
	 * @return array|WP_REST_Response|WP_Error
	 */
	public static function cas( $product, $expected, $quantity, $request_key ) {
		$fingerprint = hash( 'sha256', wp_json_encode( array( 'cas', (int) $product->get_id(), (int) $expected, (int) $quantity ) ) );
		return self::run(
			$product,
			$request_key,
			$fingerprint,
			static function ( $holder ) use ( $product, $expected, $quantity ) {
				global $wpdb;
				$holder_id = (int) $holder->get_id();
				if ( (int) $expected === (int) $quantity ) {
					$current = self::read_stock( $holder_id );
					if ( $current !== (int) $expected ) {
						return self::stale( $current, $expected );
					}
				} else {
					// One conditional UPDATE: only changes the row when it still holds $expected ("+ 0" compares numerically,
					// WooCommerce may store "7" or "7.000000").
					$changed = $wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
						$wpdb->prepare(
							"UPDATE {$wpdb->postmeta} SET meta_value = %d WHERE post_id = %d AND meta_key = '_stock' AND meta_value + 0 = %d",
							(int) $quantity,
							$holder_id,
							(int) $expected
						)
					);
					if ( false === $changed ) {
						return new WP_Error( 'syncflow_db_error', 'cas update failed' );
					}
					if ( 1 !== (int) $changed ) {
						return self::stale( self::read_stock( $holder_id ), $expected );
					}
					// Let WooCommerce sync caches, the lookup table and stock status, save the product and fire its hooks.
					wc_update_product_stock( $product, (int) $quantity, 'set' );
				}
				return array(
					'before' => (int) $expected,
					'after'  => (int) $quantity,
				);
			}
		);
	}

	/**
	 * Runs one idempotent write.
	 *
	 * @param WC_Product $product     Target.
	 * @param string     $request_key Key.
	 * @param string     $fingerprint Fingerprint of the intended change.
	 * @param callable   $apply       fn(WC_Product $holder): array{before,after}|WP_REST_Response|WP_Error.
	 * @return array|WP_REST_Response|WP_Error
	 */
	private static function run( $product, $request_key, $fingerprint, callable $apply ) {
		global $wpdb;
		if ( null !== self::$batch ) {
			return self::run_in_batch( $product, $request_key, $fingerprint, $apply );
		}
		$key_hash = hash( 'sha256', $request_key );
		$table    = self::table();

		for ( $attempt = 1; $attempt <= self::MAX_ATTEMPTS; $attempt++ ) {
			$prior = self::find( $key_hash );
			if ( $prior ) {
				return self::replay( $prior, $fingerprint );
			}
			$holder = self::stock_holder( $product );
			if ( ! $holder ) {
				return self::not_managed( $product );
			}

			$wpdb->query( 'START TRANSACTION' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			// A concurrent request holding the same key makes this INSERT collide on the primary key: an expected
			// outcome (we wait and replay), not an error, so wpdb must not log it as "WordPress database error".
			$quiet   = $wpdb->suppress_errors( true );
			$claimed = $wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				$wpdb->prepare(
					"INSERT INTO {$table} (key_hash, request_key, fingerprint, response, created_gmt) VALUES (%s, %s, %s, NULL, %s)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
					$key_hash,
					$request_key,
					$fingerprint,
					gmdate( 'Y-m-d H:i:s' )
				)
			);
			$wpdb->suppress_errors( $quiet );
			if ( 1 !== (int) $claimed ) {
				// A concurrent request holds (or committed) the same key, or the database was busy: start over.
				$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				self::backoff( $attempt );
				continue;
			}

			$result = self::apply_as_hub_write( $apply, $holder, $request_key );
			if ( is_wp_error( $result ) && 'syncflow_db_error' === $result->get_error_code() ) {
				$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				self::flush_caches( $holder );
				self::backoff( $attempt );
				continue;
			}
			if ( ! is_array( $result ) ) {
				$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				self::flush_caches( $holder );
				return $result;
			}

			$body = self::body( $product, $holder, $result );
			$stored = $wpdb->update( $table, array( 'response' => wp_json_encode( $body ) ), array( 'key_hash' => $key_hash ), array( '%s' ), array( '%s' ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			if ( false === $stored ) {
				$wpdb->query( 'ROLLBACK' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				self::flush_caches( $holder );
				self::backoff( $attempt );
				continue;
			}
			$wpdb->query( 'COMMIT' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			update_option( SyncFlow_Options::LAST_SYNC, SyncFlow_Options::now(), false );
			return $body;
		}
		return self::busy();
	}

	/**
	 * Starts batch mode (SyncFlow_Stock_Batch, inside its transaction): looks up every request key of the batch in one
	 * query, so an op finds its remembered outcome without a query of its own.
	 *
	 * @param string[] $request_keys The batch's request keys (invalid ones are left out by the caller).
	 */
	public static function begin_batch( array $request_keys ) {
		global $wpdb;
		$known = array();
		foreach ( $request_keys as $key ) {
			$known[ hash( 'sha256', $key ) ] = null;
		}
		if ( $known ) {
			$table = self::table();
			$rows  = $wpdb->get_results( $wpdb->prepare( "SELECT key_hash, fingerprint, response FROM {$table} WHERE key_hash IN (" . implode( ',', array_fill( 0, count( $known ), '%s' ) ) . ')', array_keys( $known ) ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared,WordPress.DB.PreparedSQLPlaceholders.UnfinishedPrepare
			foreach ( (array) $rows as $row ) {
				if ( null !== $row->response ) {
					$known[ (string) $row->key_hash ] = $row;
				}
			}
		}
		self::$batch = array(
			'known'   => $known,
			'holders' => array(),
			'lost'    => false,
		);
	}

	/**
	 * Ends batch mode.
	 */
	public static function end_batch() {
		self::$batch = null;
	}

	/**
	 * The batch's open transaction was committed: its holders need no cache flush any more, and the outcomes it wrote
	 * are kept whatever happens to a later transaction of the batch.
	 */
	public static function batch_committed() {
		if ( null === self::$batch ) {
			return;
		}
		self::$batch['holders'] = array();
		foreach ( self::$batch['known'] as $row ) {
			if ( $row && isset( $row->written ) ) {
				unset( $row->written );
			}
		}
	}

	/**
	 * Leaves batch mode for one op run exactly as its single route (SyncFlow_Stock_Batch::one_by_one): outcomes written
	 * meanwhile are not in the batch's lookup, so a later op with the same key looks it up in the database.
	 *
	 * @return array|null The batch state, for resume_batch().
	 */
	public static function suspend_batch() {
		$state       = self::$batch;
		self::$batch = null;
		return $state;
	}

	/**
	 * Returns to batch mode after suspend_batch().
	 *
	 * @param array|null $state What suspend_batch() returned.
	 */
	public static function resume_batch( $state ) {
		if ( is_array( $state ) ) {
			// Keys may have been written meanwhile: drop the "not found" answers so they are looked up again.
			$state['known'] = array_filter( $state['known'] );
		}
		self::$batch = $state;
	}

	/**
	 * Whether the database ended the batch's open transaction (the batch must redo its ops one by one).
	 *
	 * @return bool
	 */
	public static function batch_is_lost() {
		return null !== self::$batch && self::$batch['lost'];
	}

	/**
	 * After the batch's transaction was lost or rolled back: flushes the cached meta of every holder it wrote, forgets
	 * the outcomes it wrote, and leaves batch mode's `lost` flag cleared for the next transaction.
	 */
	public static function batch_reset() {
		if ( null === self::$batch ) {
			return;
		}
		foreach ( array_keys( self::$batch['holders'] ) as $holder_id ) {
			wp_cache_delete( (int) $holder_id, 'post_meta' );
			wp_cache_delete( 'lookup_table', 'object_' . (int) $holder_id );
			clean_post_cache( (int) $holder_id );
		}
		foreach ( self::$batch['known'] as $hash => $row ) {
			if ( $row && ! empty( $row->written ) ) {
				self::$batch['known'][ $hash ] = null;
			}
		}
		self::$batch['holders'] = array();
		self::$batch['lost']    = false;
	}

	/**
	 * Marks the open batch transaction as lost.
	 */
	private static function batch_lost() {
		self::$batch['lost'] = true;
	}

	/**
	 * One idempotent write inside the batch's transaction, under its own savepoint (see the class comment).
	 *
	 * @param WC_Product $product     Target.
	 * @param string     $request_key Key.
	 * @param string     $fingerprint Fingerprint of the intended change.
	 * @param callable   $apply       fn(WC_Product $holder): array{before,after}|WP_REST_Response|WP_Error.
	 * @return array|WP_REST_Response|WP_Error
	 */
	private static function run_in_batch( $product, $request_key, $fingerprint, callable $apply ) {
		global $wpdb;
		$key_hash = hash( 'sha256', $request_key );
		$table    = self::table();
		for ( $attempt = 1; $attempt <= self::MAX_ATTEMPTS; $attempt++ ) {
			$prior = array_key_exists( $key_hash, self::$batch['known'] ) && 1 === $attempt ? self::$batch['known'][ $key_hash ] : self::find( $key_hash );
			if ( $prior ) {
				return self::replay( $prior, $fingerprint );
			}
			$holder = self::stock_holder( $product );
			if ( ! $holder ) {
				return self::not_managed( $product );
			}
			if ( false === $wpdb->query( 'SAVEPOINT syncflow_op' ) ) { // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
				self::batch_lost();
				return self::busy();
			}
			$result = self::apply_as_hub_write( $apply, $holder, $request_key );
			$retry = is_wp_error( $result ) && 'syncflow_db_error' === $result->get_error_code();
			if ( ! $retry && is_array( $result ) ) {
				$body = self::body( $product, $holder, $result );
				// The key and its outcome in one row. A concurrent request that committed the same key first makes this
				// INSERT collide on the primary key (MySQL: after waiting for it): roll this op back and replay theirs.
				$quiet  = $wpdb->suppress_errors( true );
				$stored = $wpdb->query( // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
					$wpdb->prepare(
						"INSERT INTO {$table} (key_hash, request_key, fingerprint, response, created_gmt) VALUES (%s, %s, %s, %s, %s)", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
						$key_hash,
						$request_key,
						$fingerprint,
						wp_json_encode( $body ),
						gmdate( 'Y-m-d H:i:s' )
					)
				);
				$wpdb->suppress_errors( $quiet );
				if ( 1 === (int) $stored ) {
					$wpdb->query( 'RELEASE SAVEPOINT syncflow_op' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
					self::$batch['holders'][ (int) $holder->get_id() ] = true;
					self::$batch['known'][ $key_hash ]                 = (object) array(
						'fingerprint' => $fingerprint,
						'response'    => wp_json_encode( $body ),
						'written'     => true,
					);
					return $body;
				}
				$retry = true;
			}
			// Undo this op only. When even that fails, the database has ended the whole transaction (a MySQL deadlock
			// victim is rolled back entirely; SQLite's layer rolls the transaction back on any failed statement): the
			// batch redoes its ops one by one. That is an expected outcome, not a database error to log.
			$quiet  = $wpdb->suppress_errors( true );
			$undone = $wpdb->query( 'ROLLBACK TO SAVEPOINT syncflow_op' ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
			$wpdb->suppress_errors( $quiet );
			self::flush_caches( $holder );
			if ( false === $undone ) {
				self::batch_lost();
				return self::busy();
			}
			if ( ! $retry ) {
				return $result;
			}
			self::backoff( $attempt );
		}
		return self::busy();
	}

	/**
	 * Runs a write with its stock events named as the hub's own (its echo), by the request key.
	 *
	 * @param callable   $apply       fn(WC_Product $holder): array{before,after}|WP_REST_Response|WP_Error.
	 * @param WC_Product $holder      Stock holder.
	 * @param string     $request_key Key.
	 * @return array|WP_REST_Response|WP_Error What $apply returns.
	 */
	private static function apply_as_hub_write( callable $apply, $holder, $request_key ) {
		return SyncFlow_Stock_Events::with_cause(
			array(
				'cause'       => 'hub_write',
				'request_key' => $request_key,
			),
			static function () use ( $apply, $holder ) {
				return $apply( $holder );
			}
		);
	}

	/**
	 * The 200 body of an applied write.
	 *
	 * @param WC_Product $product Target.
	 * @param WC_Product $holder  Stock holder.
	 * @param array      $result  {before, after}.
	 * @return array
	 */
	private static function body( $product, $holder, array $result ) {
		return array(
			'product_id'       => (int) $product->get_id(),
			'stock_product_id' => (int) $holder->get_id(),
			'before'           => (int) $result['before'],
			'after'            => (int) $result['after'],
			'replayed'         => false,
		);
	}

	/**
	 * 503 syncflow_busy: the write could not be made now; the caller retries with the same key.
	 *
	 * @return WP_Error
	 */
	private static function busy() {
		return new WP_Error( 'syncflow_busy', __( 'The store database is busy; retry with the same request_key.', 'syncflow-for-woocommerce' ), array( 'status' => 503 ) );
	}

	/**
	 * A remembered outcome for $key_hash, or null.
	 *
	 * @param string $key_hash sha256 of the request key.
	 * @return object|null
	 */
	private static function find( $key_hash ) {
		global $wpdb;
		$table = self::table();
		$row   = $wpdb->get_row( $wpdb->prepare( "SELECT fingerprint, response FROM {$table} WHERE key_hash = %s", $key_hash ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching,WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return ( $row && null !== $row->response ) ? $row : null;
	}

	/**
	 * Replays a stored outcome, or 422 when the key was used for another change.
	 *
	 * @param object $prior       Row.
	 * @param string $fingerprint Fingerprint of this request.
	 * @return array|WP_Error
	 */
	private static function replay( $prior, $fingerprint ) {
		if ( ! hash_equals( (string) $prior->fingerprint, $fingerprint ) ) {
			return new WP_Error( 'syncflow_idempotency_mismatch', __( 'request_key was already used with a different request body.', 'syncflow-for-woocommerce' ), array( 'status' => 422 ) );
		}
		$body             = json_decode( (string) $prior->response, true );
		$body['replayed'] = true;
		return $body;
	}

	/**
	 * Current stock of a product straight from the database.
	 *
	 * @param int $product_id Stock holder id.
	 * @return int
	 */
	public static function read_stock( $product_id ) {
		global $wpdb;
		$value = $wpdb->get_var( $wpdb->prepare( "SELECT meta_value FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = '_stock' LIMIT 1", $product_id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.DirectQuery,WordPress.DB.DirectDatabaseQuery.NoCaching
		return (int) wc_stock_amount( null === $value ? 0 : $value );
	}

	/**
	 * 409 syncflow_stale with `current` at the top level and in data.
	 *
	 * @param int $current  Quantity now.
	 * @param int $expected Expected quantity.
	 * @return WP_REST_Response
	 */
	private static function stale( $current, $expected ) {
		return new WP_REST_Response(
			array(
				'code'    => 'syncflow_stale',
				/* translators: 1: current quantity, 2: expected quantity */
				'message' => sprintf( __( 'Stock is %1$d, not %2$d.', 'syncflow-for-woocommerce' ), $current, $expected ),
				'current' => (int) $current,
				'data'    => array(
					'status'  => 409,
					'current' => (int) $current,
				),
			),
			409
		);
	}

	/**
	 * 400 syncflow_not_managed.
	 *
	 * @param WC_Product $product Product.
	 * @return WP_Error
	 */
	public static function not_managed( $product ) {
		/* translators: %d: product id */
		return new WP_Error( 'syncflow_not_managed', sprintf( __( 'Product %d does not manage stock.', 'syncflow-for-woocommerce' ), (int) $product->get_id() ), array( 'status' => 400 ) );
	}

	/**
	 * Clears cached meta after a rollback.
	 *
	 * @param WC_Product $holder Stock holder.
	 */
	private static function flush_caches( $holder ) {
		wp_cache_delete( (int) $holder->get_id(), 'post_meta' );
		// WooCommerce skips rewriting wc_product_meta_lookup when its cached copy already holds the new row
		// (WC_Data_Store_WP::update_lookup_table): after a rollback that copy is wrong, and a retry would leave the
		// rolled-back row in place.
		wp_cache_delete( 'lookup_table', 'object_' . (int) $holder->get_id() );
		clean_post_cache( (int) $holder->get_id() );
	}

	/**
	 * Short randomised pause between attempts.
	 *
	 * @param int $attempt Attempt number (1-based).
	 */
	private static function backoff( $attempt ) {
		usleep( wp_rand( 10000, 40000 ) * $attempt );
	}
}
