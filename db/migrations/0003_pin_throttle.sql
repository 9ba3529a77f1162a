CREATE TABLE `pin_throttle` (
	`badge_id` text PRIMARY KEY NOT NULL,
	`failed_attempts` integer NOT NULL,
	`last_failed_at` integer NOT NULL,
	`paused_until` integer
);
--> statement-breakpoint
CREATE TABLE `sign_in_pauses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`badge_id` text NOT NULL,
	`failed_attempts` integer NOT NULL,
	`paused_at` integer NOT NULL,
	`paused_for_ms` integer NOT NULL,
	`journal_seq` integer
);
--> statement-breakpoint
-- A lockout in force when the app is updated stays in force, as a pause of its badge until the same
-- time. Wrong-PIN counts short of a lockout are not carried: when they happened was never kept.
-- (The operators' PIN verifiers are peppered when the device core opens: SQL cannot reach the key store.)
INSERT INTO `pin_throttle` (`badge_id`, `failed_attempts`, `last_failed_at`, `paused_until`)
SELECT `badge_id`, `failed_attempts`, `locked_until`, `locked_until` FROM `operators` WHERE `locked_until` IS NOT NULL;
--> statement-breakpoint
ALTER TABLE `operators` DROP COLUMN `failed_attempts`;--> statement-breakpoint
ALTER TABLE `operators` DROP COLUMN `locked_until`;