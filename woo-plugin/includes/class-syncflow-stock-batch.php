<?php
/**
 * Catalog-scale stock routes (contract 1.1, docs/contracts/wc-syncflow-v1.md):
 * - POST /stock/batch    — up to 100 delta / compare-and-set operations in one call, each with its own request key
 *                          and its own result, applied one by one through SyncFlow_Stock (the single routes' logic);
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
	/** Default and largest page of the snapshot, in rows. */
	const SNAPSHOT_DEFAULT = 1000;
	const SNAPSHOT_MAX     = 5000;

	/**
	 * POST /stock/batch {ops: [{op: "delta", product_id|sku, delta, request_key} | {op: "cas", product_id|sku, expected,
	 * quantity, request_key}, ...]}. Answers 200 {results: [...]} with one result per op, in order: the single route's 200
	 * body plus `status: 200`, or its error `{status, code, message[, current]}`. Each op is validated, made idempotent
	 * and applied exactly as POST /stock/delta or /stock/cas would (its own transaction and request key), so one failing
	 * op never undoes or blocks another. 400 syncflow_bad_request when `ops` is not a non-empty list; 413
	 * syncflow_batch_too_large above 100 ops (nothing is applied).
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
		$results = array();
		foreach ( $ops as $op ) {
			$results[] = self::result( self::run_op( is_array( $op ) ? $op : array() ) );
		}
		return new WP_REST_Response( array( 'results' => $results ) );
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
