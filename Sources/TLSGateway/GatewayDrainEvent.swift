/// Sent through every client pipeline when the gateway drains: idle keep-alive connections
/// close, busy ones close after their current response.
struct GatewayDrainEvent: Sendable {}
