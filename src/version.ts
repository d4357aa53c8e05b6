import pkg from "../package.json" with { type: "json" };

/** The package version, bundled at build time so no file is read at start-up. */
export const VERSION: string = pkg.version;
