<?php
/**
 * SyncFlow TEST ONLY — wp-config.php of the real-WooCommerce test tree (tests/wordpress/real-woocommerce.ts).
 *
 * One installed WordPress + WooCommerce tree serves every test site of this checkout; each `php -S` process names
 * its own site through the environment, so a site is only its directory (SQLite database, uploads, debug log):
 *   SYNCFLOW_WP_SITE_DIR  absolute directory of the site (database/wordpress.sqlite lives there)
 *   SYNCFLOW_WP_SITE_ID   short id; uploads go to wp-content/uploads/sites/<id>
 *   SYNCFLOW_WP_URL       http://127.0.0.1:PORT, the address the site knows itself by (OAuth 1.0a signs it)
 * Never ship.
 *
 * @package SyncFlow_Tests
 */

$syncflow_site_dir = getenv( 'SYNCFLOW_WP_SITE_DIR' );
$syncflow_site_id  = getenv( 'SYNCFLOW_WP_SITE_ID' );
$syncflow_url      = getenv( 'SYNCFLOW_WP_URL' );
if ( ! $syncflow_site_dir || ! $syncflow_site_id || ! $syncflow_url ) {
	header( 'HTTP/1.1 500 Internal Server Error' );
	exit( 'SyncFlow test site: SYNCFLOW_WP_SITE_DIR, SYNCFLOW_WP_SITE_ID and SYNCFLOW_WP_URL must be set.' );
}

define( 'DB_DIR', $syncflow_site_dir . '/database/' );
define( 'DB_FILE', 'wordpress.sqlite' );
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', '' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

// Fixed test salts: cookies and nonces only need to be stable for one site's lifetime.
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as $syncflow_salt ) {
	define( $syncflow_salt, 'syncflow-test-' . $syncflow_salt . '-' . $syncflow_site_id );
}

define( 'WP_HOME', $syncflow_url );
define( 'WP_SITEURL', $syncflow_url );
define( 'UPLOADS', 'wp-content/uploads/sites/' . $syncflow_site_id );
define( 'WC_LOG_DIR', $syncflow_site_dir . '/wc-logs/' );

// Errors are part of the test: every notice, warning and deprecation goes to the site's debug log, which the
// harness reads (RealWooSite.phpErrors()).
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', $syncflow_site_dir . '/debug.log' );
define( 'WP_DEBUG_DISPLAY', false );
define( 'SCRIPT_DEBUG', false );

// Background work runs only when the harness runs it (its Action Scheduler loop or the control API), never on a
// visitor's request: deterministic tests.
define( 'DISABLE_WP_CRON', true );
define( 'WP_AUTO_UPDATE_CORE', false );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '' );
define( 'WP_ENVIRONMENT_TYPE', 'local' );

$table_prefix = 'wp_'; // phpcs:ignore WordPress.WP.GlobalVariablesOverride.Prohibited

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
