/**
 * How the program reaches its instances over SSH (@pulumi/command remote commands, the Docker
 * provider): the access every component takes, and the connection with its dial retries.
 */
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface SshAccess {
  /** Login user of the AMI. */
  readonly user: string;
  /** Private key of the key pair the instances were started with (a secret). */
  readonly privateKey: pulumi.Input<string>;
  /** EC2 key pair name. */
  readonly keyName: pulumi.Input<string>;
}

/**
 * Dial retries for an instance that is still booting: sshd answers 30 to 90 s after "running", and
 * the provider's defaults (10 failed dials, 15 s each) can give up first on a connection that is
 * refused quickly. 60 dials of at most 10 s bound the wait to about 10 minutes.
 */
export const SSH_DIAL = { dialErrorLimit: 60, perDialTimeout: 10 } as const;

/** SSH connection to an instance for @pulumi/command. */
export function sshConnection(instance: aws.ec2.Instance, ssh: SshAccess): command.types.input.remote.ConnectionArgs {
  return { host: instance.publicIp, user: ssh.user, privateKey: ssh.privateKey, ...SSH_DIAL };
}
