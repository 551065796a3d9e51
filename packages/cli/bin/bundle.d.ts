/** Where the CLI's entry point is, and where its bundle goes. */
export interface BundleTarget {
  entry: string;
  outfile: string;
}

/** The URL of an up-to-date bundle of `entry`, built first if needed; undefined when none can be built here. */
export function currentBundle(target: BundleTarget): Promise<string | undefined>;
