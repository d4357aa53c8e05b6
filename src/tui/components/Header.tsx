import { Box, Text } from "ink";
import { Fragment } from "react";
import type { ApiKind } from "../../client/cluster-api.ts";
import { leaderText, MEMBERSHIP_UNKNOWN, toleranceLeft } from "../../wording.ts";
import { adminTrouble } from "../events.ts";
import { quorumHealth, type ClusterSnapshot } from "../model.ts";
import { votersText } from "../report.ts";
import { clock } from "../text.ts";
import { fitSegments, type Segment } from "../fit.ts";
import type { Theme } from "../theme.ts";

/** How a header segment is drawn. */
type Style = { color?: string; bold?: boolean };

export interface HeaderProps {
  cluster: ClusterSnapshot | null;
  /** The maintenance what-if (`m`): what would remain with the marked nodes down. */
  whatIf?: { marked: number; votersUp: number; votersTotal: number } | null;
  bind: string;
  api: ApiKind;
  profileName: string | null;
  readOnly: string | null;
  /** "2 shards UNAVAILABLE" when the replica health says so (no live copy), else null. */
  unavailable?: string | null;
  theme: Theme;
  width: number;
}

/** What the header calls the service behind -bind. */
const API_NAME: Record<ApiKind, string> = { admin: "admin service", meta: "meta API" };

function ClusterLine({
  cluster,
  whatIf,
  bind,
  api,
  theme,
  width,
}: {
  cluster: ClusterSnapshot | null;
  whatIf: HeaderProps["whatIf"];
  bind: string;
  api: ApiKind;
  theme: Theme;
  width: number;
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
  const up = `${cluster.votersUp}/${cluster.votersTotal}`;
  const left = toleranceLeft(cluster.votersUp, cluster.votersTotal);
  // Facts from most to least important; a narrow terminal shortens, then drops, the last ones
  // whole (the poll time outlives the term), never cutting one mid-word.
  const segments: Segment<Style>[] = [
    {
      forms: [`leader ${leaderText(cluster.leaderHttp)}`],
      priority: 0,
      droppable: false,
      data: { color: cluster.leaderHttp ? undefined : theme.tone.error, bold: theme.bold },
    },
    ...(cluster.membershipKnown
      ? []
      : [
          {
            forms: [MEMBERSHIP_UNKNOWN, "membership unknown"],
            priority: 1,
            droppable: false,
            data: { color: theme.tone.error, bold: theme.bold },
          },
        ]),
    {
      forms: [
        votersText(cluster.votersUp, cluster.votersTotal),
        health === "lost" ? `${up} up - NO QUORUM` : `${up} up, tolerates ${left}`,
        health === "lost" ? `${up} NO QUORUM` : `${up} up`,
      ],
      priority: 1,
      droppable: false,
      data: { color: theme.tone[healthTone], bold: theme.bold && health !== "ok" },
    },
    ...(whatIf ? [whatIfSegment(whatIf, theme)] : []),
    {
      forms: cluster.raftUnreported
        ? [
            `term ${cluster.term ?? "-"} (- = not reported by these nodes)`,
            `term ${cluster.term ?? "-"} (not reported)`,
          ]
        : [`term ${cluster.term ?? "-"}`],
      priority: 3,
      droppable: true,
      data: cluster.raftUnreported ? { color: theme.tone.warn } : {},
    },
    { forms: [`polled ${clock(cluster.polledAt)}`, clock(cluster.polledAt)], priority: 2, droppable: false },
    ...(cluster.adminError
      ? [
          {
            forms: [`admin: ${cluster.adminError}`, "admin: trouble (e)"],
            priority: 4,
            droppable: true,
            data: { color: theme.tone.warn },
          },
        ]
      : []),
  ];
  return <SegmentLine segments={segments} width={width} />;
}

/** One header line: its segments fitted to `width` (fit.ts), each in its own style. */
function SegmentLine({ segments, width }: { segments: Segment<Style>[]; width: number }) {
  return (
    <Text wrap="truncate-end">
      {fitSegments(segments, width).map((f, i) => (
        <Fragment key={i}>
          {i ? "  " : ""}
          <Text color={f.data?.color} bold={f.data?.bold}>
            {f.text}
          </Text>
        </Fragment>
      ))}
    </Text>
  );
}

export function Header({
  cluster,
  whatIf,
  bind,
  api,
  profileName,
  readOnly,
  unavailable,
  theme,
  width,
}: HeaderProps) {
  const target = cluster?.adminBind ?? bind;
  const segments: Segment<Style>[] = [
    {
      forms: ["influx-cluster", "i-c"],
      priority: 2,
      droppable: false,
      data: { color: theme.accent, bold: theme.bold },
    },
    { forms: [`${api === "meta" ? "meta API" : "admin"} ${target}`, target], priority: 1, droppable: false },
    ...(profileName
      ? [{ forms: [`profile ${profileName}`, profileName], priority: 3, droppable: true }]
      : []),
    ...(readOnly
      ? [
          {
            forms: ["[READ-ONLY]", "[RO]"],
            priority: 0,
            droppable: false,
            data: { color: theme.tone.warn, bold: theme.bold },
          },
        ]
      : []),
    // Data lost to reads and writes until a node comes back: never dropped on a narrow terminal.
    ...(unavailable
      ? [
          {
            forms: [`DATA: ${unavailable} (tab)`, unavailable],
            priority: 0,
            droppable: false,
            data: { color: theme.tone.error, bold: theme.bold },
          },
        ]
      : []),
  ];
  return (
    <Box flexDirection="column" width={width}>
      <SegmentLine segments={segments} width={width} />
      <ClusterLine
        cluster={cluster}
        whatIf={whatIf ?? null}
        bind={bind}
        api={api}
        theme={theme}
        width={width}
      />
    </Box>
  );
}

/** "what-if 1 down: 2/3 voters up - quorum at risk: tolerates 0 more failures". */
function whatIfSegment(w: NonNullable<HeaderProps["whatIf"]>, theme: Theme): Segment<Style> {
  const health = quorumHealth(w.votersUp, w.votersTotal);
  const tone = health === "ok" ? "ok" : health === "degraded" ? "warn" : "error";
  return {
    forms: [
      `what-if ${w.marked} down: ${votersText(w.votersUp, w.votersTotal)}`,
      `what-if: ${w.votersUp}/${w.votersTotal} up${health === "lost" ? " NO QUORUM" : `, tolerates ${toleranceLeft(w.votersUp, w.votersTotal)}`}`,
    ],
    priority: 1,
    droppable: false,
    data: { color: theme.tone[tone], bold: theme.bold },
  };
}
