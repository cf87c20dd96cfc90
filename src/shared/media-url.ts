/** Where wamux serves the bytes of a message's media: the path events and send answers carry as `mediaUrl`. */
export function mediaPathOf(sessionId: string, messageId: string): string {
  return `/api/v1/sessions/${encodeURIComponent(sessionId)}/messages/${encodeURIComponent(messageId)}/media`;
}
