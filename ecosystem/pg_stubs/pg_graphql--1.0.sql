CREATE FUNCTION graphql.resolve(query text, variables jsonb DEFAULT '{}', "operationName" text DEFAULT NULL, extensions jsonb DEFAULT NULL)
  RETURNS jsonb LANGUAGE sql AS 'SELECT NULL::jsonb';
CREATE FUNCTION graphql.comment_directive(comment_ text) RETURNS jsonb LANGUAGE sql AS 'SELECT NULL::jsonb';
CREATE FUNCTION graphql.exception(message text) RETURNS text LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION graphql.get_schema_version() RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION graphql.increment_schema_version() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
