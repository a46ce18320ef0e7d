import pkg from '../../package.json';

/** The version of Outflow, from package.json. */
export const VERSION: string = pkg.version;
