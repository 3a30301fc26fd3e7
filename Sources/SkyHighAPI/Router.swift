import HTTPTypes
import Hummingbird
import SkyHighCore

/// Every route of the API, in one table.
public func makeRouteTable(_ env: APIEnvironment) -> RouteTable {
    var table = RouteTable()
    table.add(GeneratedOperations.routes(env))
    table.addAdminRoutes(env)
    table.addFlightRoutes(env)
    table.addSeatEventRoutes(env)
    table.addCheckInRoutes(env)
    table.addPaymentWebhookRoute(env)
    table.addAbuseRoutes(env)
    table.addMetricsRoute(env)
    return table
}

/// The router with its middleware: the request's span outermost when traces are on (so every
/// log line of the request names the trace), then the request id, the access log when it is on,
/// request metrics (which see every final status), problem mapping, the payment webhook's
/// signature (before anything else looks at it), authentication, the abuse guard, idempotency,
/// then the context for the generated handlers, then the routes.
public func buildRouter(_ env: APIEnvironment) -> Router<AppRequestContext> {
    let table = makeRouteTable(env)
    let router = Router(context: AppRequestContext.self)
    if env.tracesRequests { router.add(middleware: RequestTracingMiddleware()) }
    router.add(middleware: RequestIDMiddleware())
    if let accessLog = env.accessLog { router.add(middleware: AccessLogMiddleware(log: accessLog)) }
    router.add(middleware: RequestMetricsMiddleware(cache: env.requestMetrics))
    router.add(middleware: ProblemMiddleware(routes: table))
    router.add(middleware: PaymentWebhookGate(environment: env))
    router.add(middleware: AuthMiddleware(environment: env))
    if let guardian = env.abuseGuard { router.add(middleware: AbuseGuardMiddleware(guardian: guardian, environment: env)) }
    router.add(middleware: IdempotencyMiddleware(environment: env))
    router.add(middleware: GeneratedContextMiddleware())
    table.register(on: router)
    return router
}
