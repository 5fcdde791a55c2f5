"use client";
import { memo } from "react";
import { parseAnsi, type AnsiStyle } from "./ansi";
import { instanceColor, shortInstance } from "./instance-color";
import { isSkip, type ViewItem } from "./log-buffer";

function css(s: AnsiStyle): React.CSSProperties | undefined {
  if (!s.fg && !s.bg && !s.bold && !s.dim && !s.italic && !s.underline && !s.inverse) return undefined;
  return {
    color: s.inverse ? (s.bg ?? "#18181b") : s.fg,
    backgroundColor: s.inverse ? (s.fg ?? "#e4e4e7") : s.bg,
    fontWeight: s.bold ? 700 : undefined,
    opacity: s.dim ? 0.6 : undefined,
    fontStyle: s.italic ? "italic" : undefined,
    textDecoration: s.underline ? "underline" : undefined,
  };
}

/** The line's text with its ANSI colours as spans (never as HTML). */
export const AnsiText = memo(function AnsiText({ line }: { line: string }) {
  return (
    <>
      {parseAnsi(line).map((seg, i) => (
        <span key={i} style={css(seg.style)}>
          {seg.text}
        </span>
      ))}
    </>
  );
});

const STREAM_CLASS: Record<string, string> = { stderr: "text-red-400", build: "text-amber-300", system: "text-sky-300", stdout: "text-zinc-500" };

/** One row: [time] instance stream text. Fixed height; the full line opens on click. */
export const LogRow = memo(function LogRow({ item, showTime, selected, onSelect }: { item: ViewItem; showTime: boolean; selected: boolean; onSelect: (id: number) => void }) {
  if (isSkip(item)) {
    return (
      <div className="flex h-full items-center bg-amber-950 px-2 text-amber-200" data-testid="log-skipped">
        ⋯ {item.skipped.toLocaleString()} line(s) skipped: this view fell behind the stream. Load them from history or download.
      </div>
    );
  }
  return (
    <div
      className={`flex h-full cursor-pointer items-center gap-2 whitespace-pre px-2 hover:bg-zinc-800 ${selected ? "bg-sky-950" : ""}`}
      onClick={() => onSelect(item.id)}
      data-log-id={item.id}
      data-testid="log-line"
    >
      {showTime ? <span className="shrink-0 text-zinc-500">{item.at.toISOString().slice(11, 23)}</span> : null}
      <span className="w-28 shrink-0 truncate" style={{ color: instanceColor(item.instanceId) }} title={item.instanceId ?? item.stream}>
        {shortInstance(item.instanceId)}
      </span>
      <span className={`w-12 shrink-0 ${STREAM_CLASS[item.stream] ?? ""}`}>{item.stream}</span>
      <span className="min-w-0 flex-1 truncate" data-testid="log-text">
        <AnsiText line={item.line} />
      </span>
    </div>
  );
});
