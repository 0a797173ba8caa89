/**
 * How the program reaches its EC2 instances over SSH: the key pair the instances start with, on top
 * of the host-agnostic login (components/hostAccess.ts) every on-host component takes.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SshLogin } from "./hostAccess";

export { SSH_DIAL, sshConnection } from "./hostAccess";

export interface SshAccess extends SshLogin {
  /** EC2 key pair name. */
  readonly keyName: pulumi.Input<string>;
}
