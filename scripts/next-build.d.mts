// Types for the part of next-build.mjs that TypeScript code (tests/support) imports.
export declare const CONSOLE_NODE_ARGS: string[];
export declare const CONSOLE_ENV: Record<string, string>;
export declare function consoleServer(root?: string): string;
