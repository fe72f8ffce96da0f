package io.txprocessor.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * deploy/ecs, field by field: a copy broken one field at a time (stopTimeout, DRAIN_GRACE_PERIOD, the container
 * port and health check, the service's task definition, exactly once's transactional.id, timeout and hostname)
 * fails naming that file and field. {@link DeployConsistencyTest} checks the files as they are.
 */
class DeployEcsTest {

    static Stream<Breakage> breakages() {
        String task = "deploy/ecs/task-definition.json";
        String ecsService = "deploy/ecs/service.json";
        String ecsGroupIdEntry = "{ \"name\": \"TRANSACTIONS_GROUP_ID\", \"value\": \"transaction-processor\" },";
        String ecsExactlyOnce = "{ \"name\": \"TRANSACTIONS_DELIVERY\", \"value\": \"exactly-once\" },";
        return Stream.of(
                new Breakage("ECS stopTimeout", task, "\"stopTimeout\": 30", "\"stopTimeout\": 20", "stopTimeout=20"),
                new Breakage("ECS stopTimeout above Fargate's limit", task, "\"stopTimeout\": 30",
                        "\"stopTimeout\": 150", "at most 120"),
                new Breakage("ECS DRAIN_GRACE_PERIOD", task, "\"DRAIN_GRACE_PERIOD\", \"value\": \"30s\"",
                        "\"DRAIN_GRACE_PERIOD\", \"value\": \"PT25S\"", "environment.DRAIN_GRACE_PERIOD=PT25S"),
                new Breakage("ECS container port", task, "\"containerPort\": 8080", "\"containerPort\": 8081",
                        "containerPort=8081"),
                new Breakage("ECS health check port", task, "/dev/tcp/127.0.0.1/8080", "/dev/tcp/127.0.0.1/8081",
                        "healthCheck.command"),
                new Breakage("ECS service's task definition", ecsService,
                        "\"taskDefinition\": \"transaction-processor\"", "\"taskDefinition\": \"other\"",
                        "taskDefinition=other"),
                new Breakage("ECS: one transactional.id for every task", task, ecsGroupIdEntry,
                        ecsGroupIdEntry + " { \"name\": \"TRANSACTIONS_TRANSACTIONAL_ID\", \"value\": \"tp\" },",
                        "environment.TRANSACTIONS_TRANSACTIONAL_ID"),
                new Breakage("ECS: exactly once, transaction timeout within two commit intervals", task,
                        ecsGroupIdEntry, ecsGroupIdEntry + ecsExactlyOnce
                                + " { \"name\": \"TRANSACTIONS_COMMIT_INTERVAL\", \"value\": \"8s\" },",
                        "twice TRANSACTIONS_COMMIT_INTERVAL=8s"),
                new Breakage("ECS: exactly once, one hostname for every task", task, "\"environment\": [",
                        "\"hostname\": \"transaction-processor\", \"environment\": [ " + ecsExactlyOnce,
                        "hostname=transaction-processor"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("breakages")
    void aDeliberatelyInconsistentCopyFailsNamingTheFileAndTheField(Breakage breakage, @TempDir Path copy)
            throws IOException {
        breakage.assertFoundIn(copy);
    }
}
