/** What a model variant is: a named design with user-settable knobs (`--set knob=value`). */

export type KnobValue = string | number | boolean;

/** A model variant: a named design with knobs (e.g. v2 with alloc_fail=stay_attached). */
export interface VariantInfo {
  readonly name: string;
  readonly description: string;
  /** Knob names with their default values. */
  readonly knobs: Readonly<Record<string, KnobValue>>;
  /** Allowed values per knob (for validation and `kernsim list`). */
  readonly choices?: Readonly<Record<string, readonly KnobValue[]>>;
}
