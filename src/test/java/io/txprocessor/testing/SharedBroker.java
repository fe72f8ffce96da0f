package io.txprocessor.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests one real broker per test run: started on first use, stopped by JUnit when the run ends (it is a
 * closeable resource of the root context), failing tests included. Tests isolate themselves with {@link Topics}.
 */
public final class SharedBroker implements ParameterResolver {

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot()
                .getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent("kafka-broker", key -> new Resource(KafkaBroker.start()), Resource.class).broker;
    }

    private record Resource(KafkaBroker broker) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            broker.close();
        }
    }
}
