CREATE SCHEMA IF NOT EXISTS net;
CREATE TYPE net.request_status AS ENUM ('PENDING', 'SUCCESS', 'ERROR');
CREATE TYPE net.http_response AS (status_code integer, headers jsonb, body text);
CREATE TYPE net.http_response_result AS (status net.request_status, message text, response net.http_response);
CREATE TABLE net.http_request_queue (id bigserial NOT NULL, method text NOT NULL, url text NOT NULL, headers jsonb NOT NULL, body bytea,
  timeout_milliseconds integer NOT NULL);
CREATE UNLOGGED TABLE net._http_response (id bigint, status_code integer, content_type text, headers jsonb, content text, timed_out boolean,
  error_msg text, created timestamptz NOT NULL DEFAULT now());
CREATE FUNCTION net.http_get(url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}', timeout_milliseconds integer DEFAULT 5000)
  RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE FUNCTION net.http_post(url text, body jsonb DEFAULT '{}', params jsonb DEFAULT '{}', headers jsonb DEFAULT '{"Content-Type": "application/json"}',
  timeout_milliseconds integer DEFAULT 5000) RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE FUNCTION net.http_delete(url text, params jsonb DEFAULT '{}', headers jsonb DEFAULT '{}', timeout_milliseconds integer DEFAULT 5000)
  RETURNS bigint LANGUAGE sql AS 'SELECT 0::bigint';
CREATE FUNCTION net.http_collect_response(request_id bigint, async boolean DEFAULT true) RETURNS net.http_response_result
  LANGUAGE sql AS 'SELECT NULL::net.http_response_result';
