/** What `tableside export` and the export route can write; a module of its own so the command line reads it cheaply. */
export const EXPORT_FORMATS = ['csv', 'rr', 'json', 'recording'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
