import Cluster
import Server

extension Controller {
    /// Runs an auth set-up command as root: its operations one after another, each proposed
    /// once the one before was applied, the outcome in the status line.
    func runAuth(_ command: AuthCommand, on cluster: Cluster) {
        let root = AuthState.rootUser
        var steps: [AuthOperation]
        switch command {
        case .enable:
            let hasRoot = cluster.leader.flatMap(cluster.member)?.authState.users[root] != nil
            steps = hasRoot ? [] : [.userAdd(name: root, password: nil)]
            steps += [.userGrantRole(user: root, role: AuthState.rootRole), .enable]
        case .disable:
            steps = [.disable]
        case .grantPermission(let role, let kind, let range):
            steps = [.roleAdd(name: role), .roleGrantPermission(role: role, permission: Permission(kind: kind, range: range))]
        case .revokePermission(let role, let range):
            steps = [.roleRevokePermission(role: role, range: range)]
        case .grantRole(let user, let role):
            steps = [.userAdd(name: user, password: nil), .userGrantRole(user: user, role: role)]
        }
        report(steps.map(\.summary).joined(separator: ", ") + " proposed")
        Self.propose(steps[...], on: cluster, inbox: inbox)
    }

    /// Proposes `steps` in order. "Already exists" is no failure here: `role` and `grant` add
    /// what they need only if it is missing.
    private static func propose(_ steps: ArraySlice<AuthOperation>, on cluster: Cluster, inbox: Inbox) {
        guard let step = steps.first else { return }
        cluster.request(.auth(step), credentials: .user(AuthState.rootUser)) { result in
            switch result {
            case .success, .failure(.auth(.userAlreadyExist)), .failure(.auth(.roleAlreadyExist)):
                if steps.count == 1 {
                    inbox.post(StatusMessage("\(step.summary): done"))
                } else {
                    propose(steps.dropFirst(), on: cluster, inbox: inbox)
                }
            case .failure(let error):
                inbox.post(StatusMessage("\(step.summary) failed: \(error)", kind: .error))
            }
        }
    }
}
