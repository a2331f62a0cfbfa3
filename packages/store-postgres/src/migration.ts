/** One numbered schema migration. */
export interface Migration {
  /** 1, 2, 3 … in the order they apply. */
  readonly version: number;
  /** The file name without number and extension, such as `init`. */
  readonly name: string;
  /** The SQL script; may hold several statements. */
  readonly sql: string;
}
