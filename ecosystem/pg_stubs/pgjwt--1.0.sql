CREATE FUNCTION url_encode(data bytea) RETURNS text LANGUAGE sql AS 'SELECT translate(encode($1, ''base64''), E''+/=\n'', ''-_'')';
CREATE FUNCTION url_decode(data text) RETURNS bytea LANGUAGE sql AS 'SELECT decode($1, ''base64'')';
CREATE FUNCTION algorithm_sign(signables text, secret text, algorithm text) RETURNS text LANGUAGE sql AS 'SELECT $1';
CREATE FUNCTION sign(payload json, secret text, algorithm text DEFAULT 'HS256') RETURNS text LANGUAGE sql AS 'SELECT $1::text';
CREATE FUNCTION try_cast_double(inp text) RETURNS double precision LANGUAGE sql AS 'SELECT NULL::double precision';
CREATE FUNCTION verify(token text, secret text, algorithm text DEFAULT 'HS256') RETURNS TABLE (header json, payload json, valid boolean)
  LANGUAGE sql AS 'SELECT NULL::json, NULL::json, false';
