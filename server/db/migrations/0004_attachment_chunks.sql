CREATE TABLE "attachment_chunks" (
	"stored" boolean NOT NULL,
	"name" text NOT NULL,
	"byte_offset" bigint NOT NULL,
	"bytes" "bytea" NOT NULL,
	CONSTRAINT "attachment_chunks_stored_name_byte_offset_pk" PRIMARY KEY("stored","name","byte_offset")
);
--> statement-breakpoint
-- Photos and signatures arrive compressed already: their bytes are kept out of line as they are, with no second try at compressing them.
ALTER TABLE "attachment_chunks" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;
