-- The rollout share an administrator set for each desktop release the office serves.
CREATE TABLE "update_rollouts" (
	"version" text PRIMARY KEY NOT NULL,
	"percentage" integer NOT NULL,
	"set_at" bigint NOT NULL,
	"set_by" text NOT NULL,
	CONSTRAINT "update_rollouts_percentage" CHECK ("update_rollouts"."percentage" BETWEEN 0 AND 100)
);
