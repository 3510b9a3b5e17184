DO $$ BEGIN
 CREATE TYPE "public"."status" AS ENUM('x');
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
DO $$ BEGIN
 ALTER TABLE "project" ADD CONSTRAINT "project_org_id_org_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."org"("id");
EXCEPTION
 WHEN duplicate_object THEN null;
END $$;
DO $$ BEGIN
 CREATE TABLE "org" (id int);
EXCEPTION
 WHEN duplicate_table THEN null;
END $$;
DO $$ BEGIN
 ALTER TABLE "org" ADD COLUMN "name" text;
EXCEPTION
 WHEN duplicate_column THEN CREATE INDEX "org_name_idx" ON "org" ("name");
END $$;
