export declare const ROOT: string;
export declare const SQLITE_SCHEMA_PATH: string;
export declare const POSTGRESQL_SCHEMA_PATH: string;
export declare function derivePostgresqlSchema(source: string): string;
export declare function writeDerivedSchemas(): { sqlite: string; postgresql: string };
