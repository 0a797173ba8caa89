import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

/** How `pulumi up` logs in to a host over SSH (every host-agnostic component takes one). */
export interface SshLogin {
  /** Login user (with sudo rights unless the component is told it logs in as root). */
  readonly user: string;
  /** Private key of the login (a secret). */
  readonly privateKey: pulumi.Input<string>;
  /**
   * A jump host to reach the hosts through, logged in to the same way (a bastion; the edge pair's
   * Elastic IP). Default none: the hosts are dialled directly.
   */
  readonly proxy?: pulumi.Input<string>;
}

/**
 * Dial retries for a host that is still booting: sshd answers 30 to 90 s after "running", and
 * the provider's defaults (10 failed dials, 15 s each) can give up first on a connection that is
 * refused quickly. 60 dials of at most 10 s bound the wait to about 10 minutes.
 */
export const SSH_DIAL = { dialErrorLimit: 60, perDialTimeout: 10 } as const;

/** SSH connection for @pulumi/command to `host`, with the SSH_DIAL budget on every hop. */
export function sshConnection(
  host: pulumi.Input<string>,
  ssh: SshLogin,
): command.types.input.remote.ConnectionArgs {
  const login = { user: ssh.user, privateKey: ssh.privateKey, ...SSH_DIAL };
  return {
    host,
    ...login,
    ...(ssh.proxy !== undefined ? { proxy: { host: ssh.proxy, ...login } } : {}),
  };
}
