import { Box, Text } from "ink";
import type { ApiKind } from "../../client/cluster-api.ts";
import { leaderText, MEMBERSHIP_UNKNOWN } from "../../wording.ts";
import { adminTrouble } from "../events.ts";
import { quorumHealth, type ClusterSnapshot } from "../model.ts";
import { votersText } from "../report.ts";
import { clock } from "../text.ts";
import type { Theme } from "../theme.ts";

export interface HeaderProps {
  cluster: ClusterSnapshot | null;
  bind: string;
  api: ApiKind;
  profileName: string | null;
  readOnly: string | null;
  theme: Theme;
  width: number;
}

/** What the header calls the service behind -bind. */
const API_NAME: Record<ApiKind, string> = { admin: "admin service", meta: "meta API" };

function ClusterLine({
  cluster,
  bind,
  api,
  theme,
}: {
  cluster: ClusterSnapshot | null;
  bind: string;
  api: ApiKind;
  theme: Theme;
}) {
  if (!cluster)
    return (
      <Text wrap="truncate-end">
        connecting to the {API_NAME[api]} at {bind}…
      </Text>
    );
  if (cluster.rows.length === 0 && cluster.adminError) {
    return (
      <Text wrap="truncate-end" color={theme.tone.error}>
        {API_NAME[api]} {bind} {adminTrouble(cluster)}: {cluster.adminError}
      </Text>
    );
  }
  const health = quorumHealth(cluster.votersUp, cluster.votersTotal);
  const healthTone = health === "ok" ? "ok" : health === "degraded" ? "warn" : "error";
  return (
    <Text wrap="truncate-end">
      leader{" "}
      <Text color={cluster.leaderHttp ? undefined : theme.tone.error} bold={theme.bold}>
        {leaderText(cluster.leaderHttp)}
      </Text>
      {cluster.membershipKnown ? null : (
        <Text color={theme.tone.error} bold={theme.bold}>
          {"  "}
          {MEMBERSHIP_UNKNOWN}
        </Text>
      )}
      {"  "}
      <Text color={theme.tone[healthTone]} bold={theme.bold && health !== "ok"}>
        {votersText(cluster.votersUp, cluster.votersTotal)}
      </Text>
      {"  "}term {cluster.term ?? "-"}
      {cluster.raftUnreported ? (
        <Text color={theme.tone.warn}> (- = not reported by these nodes)</Text>
      ) : null}
      {"  "}polled {clock(cluster.polledAt)}
      {cluster.adminError ? <Text color={theme.tone.warn}> admin: {cluster.adminError}</Text> : null}
    </Text>
  );
}

export function Header({ cluster, bind, api, profileName, readOnly, theme, width }: HeaderProps) {
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text color={theme.accent} bold={theme.bold}>
          influx-cluster
        </Text>
        {"  "}
        {api === "meta" ? "meta API" : "admin"} {cluster?.adminBind ?? bind}
        {profileName ? `  profile ${profileName}` : ""}
        {readOnly ? (
          <Text color={theme.tone.warn} bold={theme.bold}>
            {"  "}[READ-ONLY]
          </Text>
        ) : null}
      </Text>
      <ClusterLine cluster={cluster} bind={bind} api={api} theme={theme} />
    </Box>
  );
}
