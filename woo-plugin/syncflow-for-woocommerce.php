<?php
/**
 * Plugin Name:          SyncFlow for WooCommerce
 * Plugin URI:           https://syncflow.app/woocommerce
 * Description:          Connects your WooCommerce store to SyncFlow for exact, oversell-free stock sync with Shopify: atomic stock endpoints, healthy webhooks and a heartbeat.
 * Version:              1.1.1
 * Author:               SyncFlow
 * Author URI:           https://syncflow.app
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          syncflow-for-woocommerce
 * Domain Path:          /languages
 * Requires at least:    6.2
 * Requires PHP:         7.4
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.2
 * WC tested up to:      10.3
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

define( 'SYNCFLOW_VERSION', '1.1.1' );
define( 'SYNCFLOW_CONTRACT', 1 );
// Contract 1.1: POST /stock/batch and GET /stock/snapshot, advertised as features (docs/contracts/wc-syncflow-v1.md).
define( 'SYNCFLOW_CONTRACT_VERSION', '1.1' );
define( 'SYNCFLOW_PLUGIN_FILE', __FILE__ );
define( 'SYNCFLOW_PLUGIN_DIR', plugin_dir_path( __FILE__ ) );

require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-options.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-event-log.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-hub-client.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-api-keys.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-stock.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-stock-batch.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-stock-events.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-rest-controller.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-webhooks.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-connection.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-scheduler.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-admin.php';
require_once SYNCFLOW_PLUGIN_DIR . 'includes/class-syncflow-plugin.php';

register_activation_hook( __FILE__, array( 'SyncFlow_Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'SyncFlow_Plugin', 'deactivate' ) );

// Declare compatibility with WooCommerce's High-Performance Order Storage (custom order tables).
add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( '\Automattic\WooCommerce\Utilities\FeaturesUtil' ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', SYNCFLOW_PLUGIN_FILE, true );
		}
	}
);

add_action( 'plugins_loaded', array( 'SyncFlow_Plugin', 'boot' ), 20 );
