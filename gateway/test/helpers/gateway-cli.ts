/** The installed `prepaid-gateway` launcher (gateway/bin, linked by npm): what every CLI test runs. */
import { installedCommand } from '@prepaid-edge/testkit/commands';

export const CLI = installedCommand('prepaid-gateway');
