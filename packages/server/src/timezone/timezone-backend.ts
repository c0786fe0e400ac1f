/** How the timezone is read and set: by timedatectl, or by files under --root. */
export interface TimezoneBackend {
  /** "timedatectl" or "files", for logs and `policy explain`. */
  readonly kind: string;
  /** The configured zone, or null when none is. */
  get(): Promise<string | null>;
  /** Sets a zone already found in the tz database. */
  set(zone: string): Promise<void>;
}
