<?php
/**
 * Background work through Action Scheduler (group "syncflow").
 *
 * @package SyncFlow_For_WooCommerce
 */

defined( 'ABSPATH' ) || exit;

/**
 * Recurring actions: webhook health check + heartbeat (every 5 minutes while connected) and the purge of
 * old idempotency keys (daily).
 */
class SyncFlow_Scheduler {

	const GROUP        = 'syncflow';
	const HEALTH_HOOK  = 'syncflow_health_check';
	const PURGE_HOOK   = 'syncflow_purge_idempotency';
	const HEALTH_EVERY = 300;

	/**
	 * Hooks the action callbacks.
	 */
	public static function init() {
		add_action( self::HEALTH_HOOK, array( __CLASS__, 'run_health_check' ) );
		add_action( self::PURGE_HOOK, array( 'SyncFlow_Stock', 'purge' ) );
		add_action( 'action_scheduler_init', array( __CLASS__, 'schedule' ) );
	}

	/**
	 * Schedules the recurring actions that are missing.
	 */
	public static function schedule() {
		if ( ! function_exists( 'as_has_scheduled_action' ) ) {
			return;
		}
		if ( ! as_has_scheduled_action( self::PURGE_HOOK, array(), self::GROUP ) ) {
			as_schedule_recurring_action( time() + HOUR_IN_SECONDS, DAY_IN_SECONDS, self::PURGE_HOOK, array(), self::GROUP );
		}
		if ( SyncFlow_Options::is_connected() && ! as_has_scheduled_action( self::HEALTH_HOOK, array(), self::GROUP ) ) {
			as_schedule_recurring_action( time() + 60, self::HEALTH_EVERY, self::HEALTH_HOOK, array(), self::GROUP );
		}
	}

	/**
	 * Stops the health check and the stock event sends (on disconnect).
	 */
	public static function unschedule_connection_actions() {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( self::HEALTH_HOOK, array(), self::GROUP );
			as_unschedule_all_actions( SyncFlow_Stock_Events::SEND_HOOK, array(), self::GROUP );
		}
	}

	/**
	 * Stops everything (deactivation, uninstall).
	 */
	public static function unschedule_all() {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			as_unschedule_all_actions( '', array(), self::GROUP );
		}
	}

	/**
	 * The action callback.
	 */
	public static function run_health_check() {
		SyncFlow_Webhooks::check_and_heartbeat();
	}
}
