-- One database per part, as in production (each part owns its own). Runs once, when the empty data
-- directory is initialised; the owner is POSTGRES_USER (livetrust).
CREATE DATABASE livetrust_gateway;
CREATE DATABASE livetrust_identity;
CREATE DATABASE livetrust_blacklist;
CREATE DATABASE livetrust_credit;
CREATE DATABASE livetrust_retention;
